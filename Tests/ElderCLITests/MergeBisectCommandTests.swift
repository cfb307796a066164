import Elder
import ElderEditing
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// `elder merge` and `elder bisect` on tiny-model repos whose histories are written through the library.
final class MergeBisectCommandTests: XCTestCase {
    /// A tiny repo with `count` edits on main; returns the workspace and the commits (index 0 = before any edit).
    func history(_ count: Int, name: String = #function) throws -> (repo: String, ws: Workspace, commits: [ObjectID]) {
        let repo = try TinyRepo.make(name)
        let ws = try Workspace.open(at: repo, model: TinyRepo.modelPath)
        var commits = [try ws.resolve("main")]
        for i in 1...count {
            commits.append(try ws.edit(EditRequest(id: "e\(i)", prompt: "fact \(i) is", target: " v\(i)")).commit)
        }
        return (repo, ws, commits)
    }

    func git(_ repo: String, _ args: [String]) throws -> String {
        try GitCLI.run(args, in: repo).output
    }

    // MARK: bisect

    func testBisectRunWithACommandPrintsTheFirstBadCommit() throws {
        let (repo, _, commits) = try history(8)
        let culprit = commits[5].hex
        XCTAssertSucceeded(try ElderProcess.run(["bisect", "start", "main", commits[0].hex], in: repo))
        let script = "git --git-dir \"$ELDER_REPO\" merge-base --is-ancestor \(culprit) \"$ELDER_BISECT_REV\" && exit 1; exit 0"
        let run = try ElderProcess.run(["bisect", "run", "--", "sh", "-c", script], in: repo)
        XCTAssertSucceeded(run)
        XCTAssertEqual(run.stdout.split(separator: "\n").last.map(String.init), culprit, run.stdout)
        XCTAssertTrue(run.stdout.contains("is the first bad commit"), run.stdout)
        // The marks are git's: git agrees on the bad commit.
        XCTAssertEqual(try git(repo, ["rev-parse", "refs/bisect/bad"]), culprit)
        let log = try ElderProcess.run(["bisect", "log", "--json"], in: repo)
        XCTAssertSucceeded(log)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(document["schemaVersion"] as? Int, 1)
        let entries = try XCTUnwrap(document["entries"] as? [[String: Any]])
        XCTAssertEqual(entries.first?["kind"] as? String, "start")
        XCTAssertGreaterThan(entries.count, 1)
        XCTAssertEqual(try ElderProcess.run(["bisect", "reset"], in: repo).stdout, "Bisect reset.\n")
        XCTAssertEqual(try ElderProcess.run(["bisect", "reset"], in: repo).stdout, "We are not bisecting.\n")
        XCTAssertTrue(try git(repo, ["for-each-ref", "refs/bisect/"]).isEmpty)

        // Exit statuses of 128 and more abort the run (exit 1, one line).
        XCTAssertSucceeded(try ElderProcess.run(["bisect", "start", "main", commits[0].hex], in: repo))
        XCTAssertFailed(try ElderProcess.run(["bisect", "run", "--", "sh", "-c", "exit 129"], in: repo),
                        status: 1, containing: "aborted")
        // Exactly one decider.
        XCTAssertEqual(try ElderProcess.run(["bisect", "run"], in: repo).status, 128)
        XCTAssertEqual(try ElderProcess.run(["bisect", "run", "--probe", "x"], in: repo).status, 128)
    }

    func testManualMarksWithoutARevisionMarkTheCommitToTest() throws {
        let (repo, ws, commits) = try history(6)
        let culprit = commits[4]
        var r = try ElderProcess.run(["bisect", "start", "main", commits[0].hex, "--json"], in: repo)
        XCTAssertSucceeded(r)
        var steps = 0
        while (try r.json())["status"] as? String == "test" {
            let hex = try XCTUnwrap(try r.json()["commit"] as? String)
            let candidate = try ws.resolve(hex)
            let bad = try candidate == culprit || ws.store.repository.isDescendant(candidate, of: culprit)
            r = try ElderProcess.run(["bisect", bad ? "bad" : "good", "--json"], in: repo)
            XCTAssertSucceeded(r)
            steps += 1
            XCTAssertLessThanOrEqual(steps, 4)
        }
        XCTAssertEqual(try r.json()["status"] as? String, "first-bad")
        XCTAssertEqual(try r.json()["commit"] as? String, culprit.hex)
        XCTAssertEqual(try r.json()["editID"] as? String, "e4")
        // `skip REV` and `good REV` take revisions; an unknown one is fatal.
        XCTAssertFailed(try ElderProcess.run(["bisect", "good", "no-such-rev"], in: repo), status: 128, containing: "no-such-rev")
        XCTAssertSucceeded(try ElderProcess.run(["bisect", "reset"], in: repo))
        XCTAssertFailed(try ElderProcess.run(["bisect", "good"], in: repo), status: 1, containing: "no bisection")
    }

    func testBisectRunWithAProbe() throws {
        // Prompts far apart, so the tiny model's deferral keeps each edit to its own prompt.
        let prompts = ["Alpha centauri orbit:", "zzz yyy xxx", "The capital of Peru is", "1234 5678 90", "banana split recipe",
                       "Quick brown fox"]
        let repo = try TinyRepo.make()
        let ws = try Workspace.open(at: repo, model: TinyRepo.modelPath)
        var commits = [try ws.resolve("main")]
        for (i, p) in prompts.enumerated() {
            commits.append(try ws.edit(EditRequest(id: "p\(i + 1)", prompt: p, target: " Qx")).commit)
        }
        // A prompt whose edit holds from its commit on; a later edit of the same prompt with another
        // answer (two identical keys: the exact-match rule fires the newer edit) breaks it.
        guard let i = try prompts.indices.first(where: { i in
            try commits[(i + 1)...].allSatisfy { try ws.probe(prompts[i], expected: " Qx", at: $0.hex).good }
        }) else { return XCTFail("no edit of the tiny history holds its own prompt") }
        let prompt = prompts[i], expected = " Qx", good = commits[i + 1]
        commits.append(try ws.edit(EditRequest(id: "again", prompt: prompt, target: " Zz")).commit)
        // The reference, by a linear scan with the library: good from `good` up to the last edit, bad at it.
        let verdicts = try commits[(i + 1)...].map { try ws.probe(prompt, expected: expected, at: $0.hex).good }
        XCTAssertEqual(verdicts, Array(repeating: true, count: verdicts.count - 1) + [false])
        let firstBad = commits.count - 1
        XCTAssertSucceeded(try ElderProcess.run(["bisect", "start", "main", good.hex], in: repo))
        let run = try ElderProcess.run(["bisect", "run", "--probe", prompt, "--expect", expected, "--json"], in: repo)
        XCTAssertSucceeded(run)
        let json = try run.json()
        XCTAssertEqual(json["firstBad"] as? String, commits[firstBad].hex)
        let tests = try XCTUnwrap(json["tests"] as? [[String: Any]])
        XCTAssertEqual(json["probeRuns"] as? Int, tests.count)
        XCTAssertLessThanOrEqual(tests.count, 4)  // at most 6 candidates: ⌈log2 6⌉ + 1

        // A probe file: the same probe as a JSON line decides the same way.
        let file = TinyRepo.folder() + "/probes.jsonl"
        let line = try JSONSerialization.data(withJSONObject: ["prompt": prompt, "expected": expected])
        try (String(decoding: line, as: UTF8.self) + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertSucceeded(try ElderProcess.run(["bisect", "start", "main", good.hex], in: repo))
        let byFile = try ElderProcess.run(["bisect", "run", "--probes", file], in: repo)
        XCTAssertSucceeded(byFile)
        XCTAssertEqual(byFile.stdout.split(separator: "\n").last.map(String.init), commits[firstBad].hex)

        // A command that asks the model at the candidate (the example of `elder bisect run --help`).
        XCTAssertSucceeded(try ElderProcess.run(["bisect", "start", "main", good.hex], in: repo))
        let ask = "'\(ElderProcess.binary)' ask '\(prompt)' --rev \"$ELDER_BISECT_REV\" | grep -qF '\(expected)'"
        let byAsk = try ElderProcess.run(["bisect", "run", "--", "sh", "-c", ask], in: repo)
        XCTAssertSucceeded(byAsk)
        XCTAssertEqual(byAsk.stdout.split(separator: "\n").last.map(String.init), commits[firstBad].hex, byAsk.stdout)
    }

    // MARK: merge

    func testMergeFastForwardAndConflict() throws {
        let (repo, ws, commits) = try history(2)
        let repository = ws.store.repository
        try repository.createBranch("side", at: commits[1])
        let s1 = try ws.edit(EditRequest(id: "s1", prompt: "side fact is", target: " w1"), on: "side")

        // A true merge: two parents, theirs' edit live, JSON report.
        let merged = try ElderProcess.run(["merge", "side", "--no-repair", "--json"], in: repo)
        XCTAssertSucceeded(merged)
        let json = try merged.json()
        XCTAssertEqual(json["kind"] as? String, "merge")
        XCTAssertEqual(json["theirsAdded"] as? [String], ["s1"])
        XCTAssertEqual(json["oursAdded"] as? [String], ["e2"])
        XCTAssertEqual(json["base"] as? String, commits[1].hex)
        XCTAssertNil(json["repair"] as? [String: Any])
        let tip = try XCTUnwrap(json["tip"] as? String)
        XCTAssertEqual(try git(repo, ["rev-parse", "main"]), tip)
        XCTAssertEqual(try git(repo, ["rev-list", "--parents", "-n", "1", "main"]), "\(tip) \(commits[2].hex) \(s1.commit.hex)")
        XCTAssertEqual(Set(try ws.liveEdits(at: "main").map(\.id)), ["e1", "e2", "s1"])
        // The log lists the side branch's edit; --first-parent only main's own line, as git does.
        func logged(_ extra: [String]) throws -> [String] {
            let out = try ElderProcess.run(["log", "--json"] + extra, in: repo)
            XCTAssertSucceeded(out)
            return try XCTUnwrap(try out.json()["commits"] as? [[String: Any]]).compactMap { $0["commit"] as? String }
        }
        XCTAssertTrue(try logged([]).contains(s1.commit.hex))
        XCTAssertEqual(try logged(["--first-parent"]), try git(repo, ["log", "--first-parent", "--format=%H", "main"]).split(separator: "\n").map(String.init))
        XCTAssertFalse(try logged(["--first-parent"]).contains(s1.commit.hex))
        // Merging again: already up to date.
        let again = try ElderProcess.run(["merge", "side"], in: repo)
        XCTAssertSucceeded(again)
        XCTAssertEqual(again.stdout, "Already up to date.\n")

        // Fast-forward: a branch behind main, checked out.
        try repository.createBranch("behind", at: commits[1])
        try repository.setHead("refs/heads/behind")
        let ff = try ElderProcess.run(["merge", "main", "--json"], in: repo)
        XCTAssertSucceeded(ff)
        XCTAssertEqual(try ff.json()["kind"] as? String, "fast-forward")
        XCTAssertEqual(try git(repo, ["rev-parse", "behind"]), tip)
        try repository.setHead("refs/heads/main")

        // A conflict: the same prompt with another answer on each side; nothing is committed.
        try repository.createBranch("other", at: commits[2])
        try ws.edit(EditRequest(id: "m3", prompt: "fact 9 is", target: " yes"))
        try ws.edit(EditRequest(id: "o1", prompt: "Fact 9  is", target: " no"), on: "other")
        let mainBefore = try git(repo, ["rev-parse", "main"])
        let conflict = try ElderProcess.run(["merge", "other", "--json"], in: repo)
        XCTAssertFailed(conflict, status: 1, containing: "conflict")
        let report = try conflict.json()
        XCTAssertEqual(report["committed"] as? Bool, false)
        let pairs = try XCTUnwrap(report["conflicts"] as? [[String: Any]])
        XCTAssertEqual(pairs.count, 1)
        XCTAssertEqual(pairs.first?["reason"] as? String, "same-prompt")
        XCTAssertEqual((pairs.first?["ours"] as? [String: Any])?["editID"] as? String, "m3")
        XCTAssertEqual((pairs.first?["theirs"] as? [String: Any])?["editID"] as? String, "o1")
        XCTAssertEqual(try git(repo, ["rev-parse", "main"]), mainBefore)
        // --prefer ours resolves it by dropping theirs' edit, and says so.
        let resolved = try ElderProcess.run(["merge", "other", "--prefer", "ours", "--no-repair", "--json"], in: repo)
        XCTAssertSucceeded(resolved)
        XCTAssertEqual(try resolved.json()["droppedByPreference"] as? [String], ["o1"])
        XCTAssertEqual(try resolved.json()["preference"] as? String, "ours")
        XCTAssertFalse(try ws.liveEdits(at: "main").map(\.id).contains("o1"))
        XCTAssertTrue(try git(repo, ["log", "-1", "--format=%B", "main"]).contains("Conflicts-Resolved: 1 in favour of ours"))
        XCTAssertEqual(try ElderProcess.run(["merge", "other", "--prefer", "both"], in: repo).status, 128)
    }

    /// Both branches revert the same edit of their base: the merge takes it out once, not twice, so the
    /// merged adapter is exactly ours (both sides made the same change).
    func testTheSameRevertOnBothSidesIsMergedOnce() throws {
        let (repo, ws, commits) = try history(3)
        try ws.store.repository.createBranch("x", at: commits[3])
        try ws.revert(commits[1].hex, on: "main")
        // (another message: the same revert on the same parent in the same second would be the same commit)
        try ws.revert(commits[1].hex, on: "x", message: "Take e1 out on x too")
        try ws.edit(EditRequest(id: "x1", prompt: "other fact is", target: " w"), on: "x")
        let ours = try ws.resolve("main")
        let merged = try ElderProcess.run(["merge", "x", "--no-repair", "--json"], in: repo)
        XCTAssertSucceeded(merged)
        XCTAssertEqual(try merged.json()["kind"] as? String, "merge")
        XCTAssertEqual(Set(try ws.liveEdits(at: "main").map(\.id)), ["e2", "e3", "x1"])
        // merged − ours == x1's delta alone, tensor by tensor (e1's delta is not subtracted a second time).
        let store = ws.store
        let change = try store.gridState(of: try ws.resolve("main")).difference(from: try store.gridState(of: ours))
        let x1 = try store.delta(of: try ws.resolve("x"))
        XCTAssertEqual(change.tensors.filter { !$0.value.isZero }, x1.tensors.filter { !$0.value.isZero })
        XCTAssertEqual(change.routers.filter { !$0.value.isZero }, x1.routers.filter { !$0.value.isZero })
    }
}
