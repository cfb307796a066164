import ElderTestSupport
import Foundation
import XCTest

/// `elder edit`s in parallel processes on one repo: an edit whose branch moved while it trained is moved
/// onto the new tip and checked there (`Workspace.rebaseEdit`), or trained again there when its update no
/// longer fits; nothing is lost and every landed edit holds. Checked with `git log` and `elder ask`/`eval`.
final class ConcurrentEditTests: XCTestCase {
    /// A pre-edit hook that waits until `count` edits have reached it, so that every process reads the
    /// same branch tip and trains at the same time: all but the first to commit lose the race.
    static func installBarrier(count: Int, in repo: String) throws {
        try EditHooksTests.install("pre-edit", """
            touch "$ELDER_REPO/arrived.$ELDER_EDIT_ID"
            i=0
            while [ "$(ls "$ELDER_REPO" | grep -c '^arrived\\.')" -lt \(count) ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
            """, in: repo)
    }

    /// The `--json` documents of edits that raced follow docs/schemas/edit.schema.json, which names the race
    /// fields (`rebasedFrom`, `rebaseChecked`, `retrainedAfterRace`, `raceRefusal`).
    static func assertFollowTheEditSchema(_ runs: [(status: Int32, stdout: String, stderr: String)]) throws {
        let samples = TinyRepo.folder()
        for (i, run) in runs.enumerated() {
            try Data(run.stdout.utf8).write(to: URL(fileURLWithPath: "\(samples)/edit.\(i + 1).json"))
        }
        try JSONSchemaTests.assertValid(samples)
    }

    /// Starts every edit at once and waits for all of them.
    static func runTogether(_ edits: [[String]], in repo: String) throws -> [(status: Int32, stdout: String, stderr: String)] {
        let running = try edits.map { try RunningElder.start(["edit"] + $0 + ["--json"], in: repo) }
        return running.map { r in
            r.process.waitUntilExit()
            return (r.process.terminationStatus, r.stdout, r.stderr)
        }
    }

    func testThreeConcurrentEditsAllLandRebasedAndHold() throws {
        let repo = try TinyRepo.make(allowNotHolding: false)
        try Self.installBarrier(count: 3, in: repo)
        let base = try GitCLI.lines(["rev-parse", "main"], in: repo)[0]
        let edits = [("france", "The capital of France is", " Lyon"), ("spain", "The capital of Spain is", " Porto"),
                     ("italy", "The capital of Italy is", " Milan")]
        let runs = try Self.runTogether(edits.map { [$0.1, $0.2, "--id", $0.0] }, in: repo)
        for (run, edit) in zip(runs, edits) {
            XCTAssertEqual(run.status, 0, "\(edit.0): \(run.stderr)")
        }
        let results = try runs.map { try ElderRun(status: $0.status, stdout: $0.stdout, stderr: $0.stderr).json() }
        XCTAssertTrue(results.allSatisfy { $0["holds"] as? Bool == true }, "\(results)")

        // git: three commits on main after the base, in a line, one per edit. The first to land was trained
        // where it landed; each later one was either moved onto the tip it found (trailer Trained-On: the
        // tip it trained on; Rebase-Checked: every edit landed since then still holds) or, when its update
        // did not fit there, trained again on the new tip (then moved on if it lost again).
        let commits = try GitCLI.lines(["rev-list", "--reverse", "\(base)..main"], in: repo)
        XCTAssertEqual(commits.count, 3)
        XCTAssertEqual(try GitCLI.lines(["rev-list", "--merges", "\(base)..main"], in: repo), [])
        let landed = try commits.map { try GitCLI.lines(["log", "-1", "--format=%(trailers:key=Elder-Edit,valueonly)", $0], in: repo)[0] }
        XCTAssertEqual(Set(landed), Set(edits.map(\.0)))
        func trailer(_ key: String, _ commit: String) throws -> String {
            try GitCLI.lines(["log", "-1", "--format=%(trailers:key=\(key),valueonly)", commit], in: repo).first ?? ""
        }
        XCTAssertEqual(try trailer("Trained-On", commits[0]), "", "the first to land was not rebased")
        var rebased = 0
        for (i, commit) in commits.enumerated().dropFirst() {
            let json = try XCTUnwrap(results.first { $0["commit"] as? String == commit })
            let trainedOn = try trailer("Trained-On", commit)
            XCTAssertEqual(json["rebasedFrom"] as? String ?? "", trainedOn, "\(json)")
            guard !trainedOn.isEmpty else {
                // Not moved: it was trained again on the tip it landed on.
                XCTAssertEqual(json["retrainedAfterRace"] as? Bool, true, "\(json)")
                continue
            }
            rebased += 1
            let since = try GitCLI.lines(["rev-list", "--count", "\(trainedOn)..\(commits[i - 1])"], in: repo)[0]
            XCTAssertEqual(try trailer("Rebase-Checked", commit), "\(since)/\(since)", "\(json)")
            XCTAssertEqual(json["rebaseChecked"] as? Int, Int(since))
        }
        XCTAssertGreaterThan(rebased, 0, "no edit lost the race: \(results)")
        try Self.assertFollowTheEditSchema(runs)
        print("MEASURED: 3 concurrent edits: \(rebased) rebased, trained again after a race: "
              + "\(results.compactMap { $0["raceRefusal"] as? String })")
        XCTAssertEqual(try GitCLI.run(["fsck", "--strict"], in: repo).status, 0)

        // Every edit holds at the tip: elder eval checks all live edits, elder ask gives each target.
        XCTAssertSucceeded(try ElderProcess.run(["eval", "-q"], in: repo))
        for (_, prompt, target) in edits {
            // The tiny model's tokens are bytes: ask for the target's length.
            let ask = try ElderProcess.run(["ask", prompt, "--max-tokens", "\(target.utf8.count)"], in: repo)
            XCTAssertSucceeded(ask)
            XCTAssertTrue(ask.stdout.hasPrefix(prompt + target), "\(prompt) → \(ask.stdout)")
        }
    }

    /// Two edits of one prompt with different answers at once: the second to land no longer fits (the
    /// prompt got a live answer meanwhile), so it is trained again on the new tip and supersedes the first.
    func testConcurrentEditsOfOnePromptAreTrainedAgainAndSupersede() throws {
        let repo = try TinyRepo.make(allowNotHolding: false)
        try Self.installBarrier(count: 2, in: repo)
        let base = try GitCLI.lines(["rev-parse", "main"], in: repo)[0]
        let prompt = "The capital of France is"
        let runs = try Self.runTogether([[prompt, " Lyon", "--id", "lyon"], [prompt, " Nice", "--id", "nice"]], in: repo)
        for run in runs { XCTAssertEqual(run.status, 0, run.stderr) }
        let commits = try GitCLI.lines(["rev-list", "--reverse", "\(base)..main"], in: repo)
        XCTAssertEqual(commits.count, 2)
        let first = try GitCLI.lines(["log", "-1", "--format=%(trailers:key=Elder-Edit,valueonly)", commits[0]], in: repo)[0]
        let second = try GitCLI.lines(["log", "-1", "--format=%(trailers:key=Elder-Edit,valueonly)", commits[1]], in: repo)[0]
        XCTAssertEqual(Set([first, second]), ["lyon", "nice"])
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%(trailers:key=Supersedes,valueonly)", commits[1]], in: repo), [first])
        // Trained again on the new tip: no Trained-On (the update was made there), the JSON says so.
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%(trailers:key=Trained-On,valueonly)", commits[1]], in: repo).first ?? "", "")
        let results = try runs.map { try ElderRun(status: $0.status, stdout: $0.stdout, stderr: $0.stderr).json() }
        let later = try XCTUnwrap(results.first { $0["editID"] as? String == second })
        XCTAssertEqual(later["retrainedAfterRace"] as? Bool, true)
        XCTAssertNotNil(later["raceRefusal"] as? String, "\(later)")
        try Self.assertFollowTheEditSchema(runs)
        let ask = try ElderProcess.run(["ask", prompt, "--max-tokens", "5"], in: repo)
        XCTAssertTrue(ask.stdout.hasPrefix(prompt + (second == "lyon" ? " Lyon" : " Nice")), ask.stdout)
        XCTAssertSucceeded(try ElderProcess.run(["eval", "-q"], in: repo))
    }
}
