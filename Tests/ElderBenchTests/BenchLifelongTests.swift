import ElderTestSupport
import Foundation
import XCTest

/// `elder-bench lifelong` end to end on the tiny model: a run, its refusal to overwrite a checkpoint, a
/// background run followed through its progress file, resuming, combining reports, and `elder-bench edit` with
/// several methods in one table.
final class BenchLifelongTests: XCTestCase {
    /// Three edits in the JSON Lines edit format (prompt, target, training and held-out paraphrases, a probe).
    func editFile(in folder: String) throws -> String {
        let lines = (0..<3).map { i in
            "{\"id\":\"e\(i)\",\"prompt\":\"City \(i) lies in\",\"target\":\" Q\(i)\",\"paraphrases\":[\"Town \(i) lies in\"],"
                + "\"heldout\":[\"Where is city \(i)? In\"],\"probes\":[{\"prompt\":\"Sky \(i) is\",\"datasetAnswer\":\" blue\"}]}"
        }
        let path = folder + "/edits.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func lifelong(_ file: String, out: String, edits: Int = 3, _ extra: [String] = []) -> [String] {
        ["lifelong", "--model", TinyRepo.modelPath, "--file", file, "--edits", String(edits), "--method", "ft-l",
         "--set", "iterations=3", "--checkpoints", "3", "--checkpoint-every", "1", "--out", out] + extra
    }

    /// Runs `elder-bench arguments…` in `folder`.
    func bench(_ arguments: [String], in folder: String) throws -> ElderRun {
        try ElderProcess.run(arguments, in: folder, executable: ElderProcess.benchBinary)
    }

    func finalScores(_ path: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        let method = (object?["methods"] as? [[String: Any]])?.first
        return try XCTUnwrap(method?["final"] as? [String: Any])
    }

    func testRunRefuseResumeBackgroundAndCombine() throws {
        let folder = TinyRepo.folder()
        let file = try editFile(in: folder)
        let first = try bench(lifelong(file, out: folder + "/a"), in: folder)
        XCTAssertSucceeded(first)
        XCTAssertTrue(first.stdout.contains("| ft-l | 3 |"), first.stdout)
        for ext in [".md", ".json", ".svg", "-token-accuracy.svg", ".checkpoint", ".progress.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/a/lifelong-ft-l-3-iterations=3" + ext), ext)
        }
        let expected = try finalScores(folder + "/a/lifelong-ft-l-3-iterations=3.json")

        // The same command again would overwrite the run's checkpoint: refused in one line.
        XCTAssertFailed(try bench(lifelong(file, out: folder + "/a"), in: folder), status: 1, containing: "--resume")
        // --resume of a finished run renders the same report.
        let again = try bench(lifelong(file, out: folder + "/a", ["--resume"]), in: folder)
        XCTAssertSucceeded(again)
        XCTAssertEqual(try finalScores(folder + "/a/lifelong-ft-l-3-iterations=3.json") as NSDictionary, expected as NSDictionary)

        // In the background, under a label: the launcher returns at once; the progress file follows the run.
        let started = try bench(lifelong(file, out: folder + "/b", ["--label", "ftl-short", "--background"]), in: folder)
        XCTAssertSucceeded(started)
        XCTAssertTrue(started.stdout.contains("started lifelong-ftl-short-3 in the background"), started.stdout)
        var status = ""
        for _ in 0..<120 {
            status = try bench(["lifelong", "--status", "--out", folder + "/b"], in: folder).stdout
            if status.contains("finished") { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        XCTAssertTrue(status.contains("lifelong-ftl-short-3: finished · 3/3 edits"), status)
        XCTAssertTrue(try String(contentsOfFile: folder + "/b/lifelong-ftl-short-3.log", encoding: .utf8).contains("checkpoint after 3 edits"))
        XCTAssertEqual(try finalScores(folder + "/b/lifelong-ftl-short-3.json") as NSDictionary, expected as NSDictionary,
                       "the background run scores as the foreground one")

        // One comparison of both runs; a run of other edits (T = 2) is refused.
        let combined = try bench(["lifelong-report", folder + "/a/lifelong-ft-l-3-iterations=3.json",
                                             folder + "/b/lifelong-ftl-short-3.json", "--out", folder + "/c"], in: folder)
        XCTAssertSucceeded(combined)
        XCTAssertTrue(combined.stdout.contains("| ft-l | 3 |") && combined.stdout.contains("| ftl-short | 3 |"), combined.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/c/lifelong-compare-3.svg"))
        XCTAssertSucceeded(try bench(lifelong(file, out: folder + "/d", edits: 2), in: folder))
        XCTAssertFailed(try bench(["lifelong-report", folder + "/a/lifelong-ft-l-3-iterations=3.json",
                                              folder + "/d/lifelong-ft-l-2-iterations=3.json", "--out", folder + "/c"], in: folder),
                        status: 1, containing: "different numbers of edits T (3 vs 2)")
    }

    func testBenchEditTimesSeveralMethodsInOneTable() throws {
        let folder = TinyRepo.folder()
        let file = try editFile(in: folder)
        let run = try bench(["edit", "--model", TinyRepo.modelPath, "--file", file, "--edits", "2",
                                        "--method", "ft-l,grace", "--out", folder + "/r"], in: folder)
        XCTAssertSucceeded(run)
        XCTAssertTrue(run.stdout.contains("# Edit benchmark: ft-l, grace, 2 edits each"), run.stdout)
        XCTAssertTrue(run.stdout.contains("| ft-l | ") && run.stdout.contains("| grace | "), run.stdout)
        XCTAssertTrue(run.stdout.contains("× ft-l"), run.stdout)
        for name in ["edit-ft-l-2.json", "edit-grace-2.json", "edit-compare-2.md", "edit-compare-2.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/r/" + name), name)
        }
        XCTAssertFailed(try bench(["edit", "--method", "ft-l,magic"], in: folder), status: 128, containing: "unknown method")
    }
}
