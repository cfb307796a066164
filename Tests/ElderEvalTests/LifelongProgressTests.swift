import ElderTestSupport
import Foundation
import XCTest
@testable import ElderEval

/// The progress file a long run writes after each edit, and the status lines `--status` prints from it.
final class LifelongProgressTests: XCTestCase {
    func state(edits: Int, elapsed: Double) throws -> LifelongRunState {
        var s = LifelongRunState(baseline: ProbeBaseline())
        s.editsApplied = edits
        s.seconds = Array(repeating: 2, count: edits)
        s.elapsedSeconds = elapsed
        let one = try TokenComparison(predicted: [1], reference: [1]), miss = try TokenComparison(predicted: [2], reference: [1])
        try s.curve.record(editsApplied: edits, scores: [EditScores(editID: "a", reliability: [one, miss], generalization: [miss],
                                                                    locality: [one])])
        return s
    }

    func testWritesReadsAndEstimates() throws {
        let folder = temporaryFolder("progress")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var p = LifelongProgress(name: "lifelong-elder-100", phase: .running, pid: getpid(), state: try state(edits: 25, elapsed: 100),
                                 editCount: 100, checkpointedEdits: 25)
        p.log = folder + "/lifelong-elder-100.log"
        XCTAssertEqual(p.etaSeconds, 300, "75 edits left at 4 s each")
        XCTAssertEqual(p.medianSecondsPerEdit, 2)
        let path = LifelongProgress.path(folder: folder, name: p.name)
        XCTAssertTrue(path.hasSuffix("/lifelong-elder-100.progress.json"))
        try p.write(to: path)
        XCTAssertEqual(try LifelongProgress(contentsOf: path), p)

        let line = p.statusLine
        for phrase in ["lifelong-elder-100: running", "25/100 edits", "elapsed 1 min 40 s", "ETA 5 min 00 s", "2.00 s/edit",
                       "after 25: Rel 50.0 Gen 0.0 Loc 100.0", "tail -f \(folder)/lifelong-elder-100.log"] {
            XCTAssertTrue(line.contains(phrase), "\(phrase) not in \(line)")
        }

        // A run whose process is gone shows as stopped, with the command that resumes it.
        var dead = LifelongProgress(name: "lifelong-grace-100", phase: .running, pid: 999_999_999 % Int32.max,
                                    state: try state(edits: 50, elapsed: 60), editCount: 100, checkpointedEdits: 50)
        dead.resumeCommand = "elder-bench lifelong --edits 100 --method grace --resume --background"
        try dead.write(to: LifelongProgress.path(folder: folder, name: dead.name))
        let status = LifelongProgress.status(folder: folder)
        XCTAssertTrue(status.contains("lifelong-grace-100: stopped (process"), status)
        XCTAssertTrue(status.contains("checkpoint at 50 edits"), status)
        XCTAssertTrue(status.contains("resume: elder-bench lifelong --edits 100 --method grace --resume --background"), status)
        XCTAssertTrue(status.contains("lifelong-elder-100: running"), status)
        XCTAssertLessThan(status.range(of: "lifelong-elder-100")!.lowerBound, status.range(of: "lifelong-grace-100")!.lowerBound)
        XCTAssertTrue(LifelongProgress.status(folder: folder + "/none").hasPrefix("no lifelong runs"))
    }

    func testDurations() {
        XCTAssertEqual(LifelongProgress.duration(42), "42 s")
        XCTAssertEqual(LifelongProgress.duration(185), "3 min 05 s")
        XCTAssertEqual(LifelongProgress.duration(3720), "1 h 02 min")
    }
}
