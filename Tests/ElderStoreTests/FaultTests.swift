import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

/// Writers killed at random points, and writers racing, never damage a repo or lose a commit.
final class FaultTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws { dir = temporaryFolder("fault") + "/repo" }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }

    private func startWriter(_ bench: String, _ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bench)
        process.arguments = ["debug", "store-writer", "--repo", dir, "--keyframe", "16"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, out)
    }

    /// Commit ids a writer reported as committed (its branch had moved before it printed them).
    private func reportedCommits(_ output: String) -> [ObjectID] {
        output.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            return parts.count >= 2 && parts[0] == "commit" ? ObjectID(hex: String(parts[1])) : nil
        }
    }

    /// The repo is whole: fsck passes, main points at a complete commit whose state rebuilds to its hash.
    private func checkRepoIsWhole(file: StaticString = #filePath, line: UInt = #line) throws -> (tip: ObjectID, depth: Int, store: KnowledgeStore) {
        let fsck = try git(["fsck", "--strict", "--no-dangling"], in: dir, file: file, line: line)
        XCTAssertEqual(fsck.status, 0, fsck.stderr, file: file, line: line)
        let store = try KnowledgeStore.open(at: dir)
        let tip = try XCTUnwrap(try store.tip(of: "main"), file: file, line: line)
        let info = try store.info(of: tip)
        XCTAssertEqual(try store.state(of: tip).sha256, info.stateHash, file: file, line: line)
        XCTAssertEqual(try store.liveEdits(at: tip).count, info.depth, "every committed edit is live", file: file, line: line)
        return (tip, info.depth, store)
    }

    func testWriterKilledAtRandomPointsNeverLeavesABrokenRepo() throws {
        let bench = ElderProcess.benchBinary
        let (creator, _) = try startWriter(bench, ["--count", "0"])
        creator.waitUntilExit()
        XCTAssertEqual(creator.terminationStatus, 0)
        var random = SeededRandom(seed: 2026)
        var committed = 0, kills = 0, rounds = 0
        // Kill after a random delay below `maxDelay`, which grows while rounds make no progress
        // (a loaded machine can take longer to start a writer than the first delays).
        var maxDelay = 0.4
        while committed < 200 && rounds < 400 {
            rounds += 1
            let (writer, out) = try startWriter(bench, ["--count", "\(200 - committed)", "--start", "\(committed + 1)",
                                                        "--seed", "\(rounds)"])
            usleep(UInt32((0.02 + random.uniform() * maxDelay) * 1e6))
            if writer.isRunning {
                kill(writer.processIdentifier, SIGKILL)
                kills += 1
            }
            writer.waitUntilExit()
            let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let (tip, depth, store) = try checkRepoIsWhole()
            XCTAssertGreaterThanOrEqual(depth, committed, "the branch went back")
            for id in reportedCommits(output) {
                XCTAssertTrue(try id == tip || store.repository.isDescendant(tip, of: id), "reported commit \(id.short) was lost")
            }
            maxDelay = depth == committed ? min(maxDelay * 1.5, 5) : max(maxDelay / 1.2, 0.4)
            committed = depth
        }
        XCTAssertEqual(committed, 200)
        XCTAssertGreaterThanOrEqual(kills, 5, "too few kills to mean anything")
        let count = try git(["rev-list", "--count", "main"], in: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(count, "201")
        print("killed the writer \(kills) times in \(rounds) rounds")
    }

    func testTwoConcurrentWritersLoseNothing() throws {
        let bench = ElderProcess.benchBinary
        let (creator, _) = try startWriter(bench, ["--count", "0"])
        creator.waitUntilExit()
        let (a, outA) = try startWriter(bench, ["--count", "100", "--prefix", "a", "--seed", "1"])
        let (b, outB) = try startWriter(bench, ["--count", "100", "--prefix", "b", "--seed", "2"])
        let textA = String(decoding: outA.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let textB = String(decoding: outB.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        a.waitUntilExit()
        b.waitUntilExit()
        XCTAssertEqual(a.terminationStatus, 0)
        XCTAssertEqual(b.terminationStatus, 0)
        let (tip, depth, store) = try checkRepoIsWhole()
        XCTAssertEqual(depth, 200)
        let edits = try store.liveEdits(at: tip).map(\.id)
        XCTAssertEqual(edits.filter { $0.hasPrefix("a") }.count, 100)
        XCTAssertEqual(edits.filter { $0.hasPrefix("b") }.count, 100)
        let reported = reportedCommits(textA) + reportedCommits(textB)
        XCTAssertEqual(Set(reported).count, 200)
        let history = Set(try store.repository.log(from: tip))
        XCTAssertTrue(Set(reported).isSubset(of: history))
        print("writers: \(textA.split(separator: "\n").last ?? "") / \(textB.split(separator: "\n").last ?? "")")
    }
}
