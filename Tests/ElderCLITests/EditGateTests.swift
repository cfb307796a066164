import ElderTestSupport
import Foundation
import XCTest

/// Checks before an edit lands: `elder edit --probes` refuses an edit that breaks a probe passing before
/// it (nothing committed), and `--dry-run` trains and reports without committing.
final class EditGateTests: XCTestCase {
    /// A probe on the edit's own prompt wanting the base model's answer (the edit must break it), and one
    /// on an unrelated prompt.
    func probeFile(_ name: String = #function) throws -> String {
        let path = TinyRepo.folder(name) + "/probes.jsonl"
        try (#"{"prompt":"The capital of Zorbia is"}"# + "\n" + #"{"prompt":"Bread is made of"}"# + "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testAnEditThatBreaksAProbeIsRefusedAndNothingMoves() throws {
        let repo = try TinyRepo.make()
        let probes = try probeFile()
        let head = try GitCLI.lines(["rev-parse", "HEAD"], in: repo)
        let run = try ElderProcess.run(["edit", "The capital of Zorbia is", " Quell", "--probes", probes], in: repo)
        XCTAssertFailed(run, status: 1, containing: "breaks 1 probe that passed before it, nothing committed")
        XCTAssertTrue(run.stderr.contains(#""The capital of Zorbia is" no longer answers"#), run.stderr)
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), head)
        // The same edit without the gate lands; `elder eval --probes` agrees that it fails the probe then.
        XCTAssertSucceeded(try ElderProcess.run(["edit", "The capital of Zorbia is", " Quell", "-q"], in: repo))
        let eval = try ElderProcess.run(["eval", "--probes", probes, "--json"], in: repo)
        let results = try XCTUnwrap(try eval.json()["probes"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["passed"] as? Bool }, [false, true], eval.stdout)
    }

    func testAnEditThatBreaksNoProbeLandsWithItsProbesReported() throws {
        let repo = try TinyRepo.make()
        let probes = try probeFile()
        let run = try ElderProcess.run(["edit", "The river of Zorbia is", " Vell", "--probes", probes, "--json"], in: repo)
        XCTAssertSucceeded(run)
        let json = try run.json()
        XCTAssertEqual(json["dryRun"] as? Bool, false)
        let checked = try XCTUnwrap(json["probes"] as? [[String: Any]])
        XCTAssertEqual(checked.map { $0["prompt"] as? String }, ["The capital of Zorbia is", "Bread is made of"])
        XCTAssertEqual(checked.map { $0["check"] as? String }, ["base", "base"])
        XCTAssertEqual(checked.map { $0["before"] as? Bool }, [true, true], "at the tip every base-answer probe passes")
        XCTAssertEqual(checked.map { $0["after"] as? Bool }, [true, true], run.stdout)
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), [try XCTUnwrap(json["commit"] as? String)])
    }

    func testDryRunTrainsMeasuresAndCommitsNothing() throws {
        let repo = try TinyRepo.make()
        let probes = try probeFile()
        let head = try GitCLI.lines(["rev-parse", "HEAD"], in: repo)
        let objects = try GitCLI.lines(["count-objects", "-v"], in: repo)
        let run = try ElderProcess.run(["edit", "The river of Zorbia is", " Vell", "--dry-run", "--json"], in: repo)
        XCTAssertSucceeded(run)
        let json = try run.json()
        XCTAssertEqual(json["dryRun"] as? Bool, true)
        XCTAssertEqual(json["commit"] as? String, head.first)
        XCTAssertNotNil(json["holds"] as? Bool)
        XCTAssertGreaterThan(try XCTUnwrap(json["iterations"] as? Int), 0)
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), head)
        XCTAssertEqual(try GitCLI.lines(["count-objects", "-v"], in: repo), objects, "a dry run writes no object")
        // A dry run that would break a probe says so and exits 1; the human form names the probe.
        let breaking = try ElderProcess.run(["edit", "The capital of Zorbia is", " Quell", "--probes", probes, "--dry-run"], in: repo)
        XCTAssertFailed(breaking, status: 1, containing: "would break 1 probe")
        XCTAssertTrue(breaking.stdout.hasPrefix("[dry run: nothing committed on main]"), breaking.stdout)
        XCTAssertTrue(breaking.stdout.contains("probes: 2 checked, 2 passed before, 1 broken"), breaking.stdout)
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), head)
        // Not for streams.
        XCTAssertFailed(try ElderProcess.run(["edit", "--file", probes, "--dry-run"], in: repo), status: 128, containing: "--dry-run is for one edit")
    }

    /// In a stream the gate stops at the edit that breaks a probe; the edits before it are committed.
    func testAStreamStopsAtTheEditThatBreaksAProbe() throws {
        let repo = try TinyRepo.make()
        let probes = try probeFile()
        let file = TinyRepo.folder() + "/edits.jsonl"
        try ([#"{"id":"a","prompt":"The river of Zorbia is","target":" Vell"}"#,
              #"{"id":"b","prompt":"The capital of Zorbia is","target":" Quell"}"#,
              #"{"id":"c","prompt":"The sea of Zorbia is","target":" Ost"}"#].joined(separator: "\n") + "\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let run = try ElderProcess.run(["edit", "--file", file, "--probes", probes, "--json-lines"], in: repo)
        XCTAssertFailed(run, status: 1, containing: "edit b breaks 1 probe")
        XCTAssertTrue(run.stderr.contains("1 edit committed"), run.stderr)
        let ids = try GitCLI.lines(["log", "--format=%(trailers:key=Elder-Edit,valueonly)"], in: repo).filter { !$0.isEmpty }
        XCTAssertEqual(ids, ["a"])
    }

    /// `git config elder.probes FILE` makes the gate standing: every `elder edit` is checked without
    /// --probes; --no-verify skips it; an unreadable configured file is a one-line error naming the setting.
    func testTheRepoCanMakeTheGateStanding() throws {
        let repo = try TinyRepo.make()
        let probes = try probeFile()
        try String(contentsOfFile: probes, encoding: .utf8).write(toFile: repo + "/gate.jsonl", atomically: true, encoding: .utf8)
        XCTAssertEqual(try GitCLI.run(["config", "elder.probes", "gate.jsonl"], in: repo).status, 0)
        let head = try GitCLI.lines(["rev-parse", "HEAD"], in: repo)
        XCTAssertFailed(try ElderProcess.run(["edit", "The capital of Zorbia is", " Quell"], in: repo),
                        status: 1, containing: "breaks 1 probe")
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), head)
        let checked = try ElderProcess.run(["edit", "The river of Zorbia is", " Vell", "--json"], in: repo)
        XCTAssertSucceeded(checked)
        XCTAssertEqual((try checked.json()["probes"] as? [Any])?.count, 2)
        XCTAssertSucceeded(try ElderProcess.run(["edit", "The capital of Zorbia is", " Quell", "--no-verify", "-q"], in: repo))
        XCTAssertEqual(try GitCLI.run(["config", "elder.probes", "missing.jsonl"], in: repo).status, 0)
        XCTAssertFailed(try ElderProcess.run(["edit", "The sea of Zorbia is", " Ost"], in: repo), status: 128, containing: "git config elder.probes")

        // Without the setting, a probes.jsonl in the repo is the standing file (as for the sample pre-edit hook).
        let other = try TinyRepo.make(#function + "-default")
        try String(contentsOfFile: probes, encoding: .utf8).write(toFile: other + "/probes.jsonl", atomically: true, encoding: .utf8)
        XCTAssertFailed(try ElderProcess.run(["edit", "The capital of Zorbia is", " Quell"], in: other), status: 1, containing: "breaks 1 probe")
    }
}
