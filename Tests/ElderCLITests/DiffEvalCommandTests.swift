import Elder
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// `elder diff` (knowledge, parameter and behaviour diffs) and `elder eval` (edits, probes, exit codes).
final class DiffEvalCommandTests: XCTestCase {
    func testKnowledgeAndParameterDiff() throws {
        // λ = 0.01 (the default's is 0, its routers are never read) so the edits change both tensor groups.
        let repo = try TinyRepo.make(extra: ["--set", "lambda=0.01"])
        let edits = try TinyEdits.commit([(" The capital of Zorbia is", " Quell"), (" The river of Zorbia is", " Vell")], in: repo)
        let run = try ElderProcess.run(["diff", "HEAD~2", "--stat", "--json"], in: repo)
        XCTAssertSucceeded(run)
        let json = try run.json()
        XCTAssertEqual(try run.objects("added").compactMap { $0["id"] as? String }.sorted(), edits.map(\.editID).sorted())
        XCTAssertEqual(try run.objects("removed").count, 0)
        XCTAssertEqual(try run.objects("added").first { $0["id"] as? String == edits[0].editID }?["target"] as? String, " Quell")
        // The parameter diff against an independent computation from the two rebuilt states.
        let store = try KnowledgeStore.open(at: repo)
        let before = try store.state(at: "HEAD~2"), after = try store.state(of: edits[1].commit)
        var expected: [String: (Int, Double, Double)] = [:]
        for (name, t) in after.tensors.merging(after.routers, uniquingKeysWith: { a, _ in a }) {
            let old = before.tensors[name] ?? before.routers[name]!
            let diffs = zip(t.values, old.values).map { Double($0) - Double($1) }
            let changed = diffs.filter { $0 != 0 }.count
            guard changed > 0 else { continue }
            expected[name] = (changed, (diffs.map { $0 * $0 }.reduce(0, +) / Double(diffs.count)).squareRoot(), diffs.map(abs).max()!)
        }
        let tensors = try run.objects("tensors")
        XCTAssertFalse(tensors.isEmpty)
        XCTAssertEqual(Set(tensors.compactMap { $0["name"] as? String }), Set(expected.keys))
        for t in tensors {
            let name = t["name"] as! String
            XCTAssertEqual(t["changedValues"] as? Int, expected[name]?.0, name)
            XCTAssertEqual((t["rms"] as? NSNumber)?.doubleValue ?? -1, expected[name]!.1, accuracy: 1e-12, name)
            XCTAssertEqual((t["maxAbs"] as? NSNumber)?.doubleValue ?? -1, expected[name]!.2, accuracy: 1e-12, name)
        }
        XCTAssertTrue(tensors.contains { $0["group"] as? String == "router" })
        XCTAssertNil(json["behaviour"])
        // Reversed: the edits are removed. The same version: nothing.
        let back = try ElderProcess.run(["diff", "HEAD", "HEAD~2", "--json"], in: repo)
        XCTAssertEqual(try back.objects("removed").count, 2)
        XCTAssertEqual(try back.objects("added").count, 0)
        let same = try ElderProcess.run(["diff", "HEAD", "--stat"], in: repo)
        XCTAssertSucceeded(same)
        XCTAssertTrue(same.stdout.contains("no edits added or removed"), same.stdout)
        XCTAssertTrue(same.stdout.contains("0 tensors changed"), same.stdout)
        // Human output names the edits.
        let human = try ElderProcess.run(["diff", "HEAD~1"], in: repo)
        XCTAssertTrue(human.stdout.contains("+ \(edits[1].editID)"), human.stdout)
    }

    func testBehaviourDiffAndEvalWithProbes() throws {
        // lr 3e-3: at the default 1e-3 the tiny random model reaches this target within 50 steps only for some
        // allocations (the edit id, which is time-based, picks them): 11 of 12 ids held with 128 LoRAs, 12 of
        // 12 at 3e-3. The test is about diff and eval, so it needs an edit that holds every time.
        let repo = try TinyRepo.make(extra: ["--set", "lr=0.003"])
        let edit = try TinyEdits.commit([(" The capital of Zorbia is", " Quell")], in: repo, paraphrases: [" Zorbia's capital is"])[0]
        XCTAssertTrue(edit.holds, "the tiny model learns the edit")
        let workspace = try Workspace.open(at: repo, model: TinyRepo.modelPath)
        let baseAnswer = try workspace.ask(" The capital of Zorbia is", at: "HEAD~1", maxTokens: 8).text
        let editedAnswer = try workspace.ask(" The capital of Zorbia is", at: "HEAD", maxTokens: 8).text
        XCTAssertNotEqual(baseAnswer, editedAnswer)
        let folder = TinyRepo.folder()
        let probes = folder + "/probes.jsonl"
        // One probe the edit changes (its base answer is wanted), one unrelated, one with an expected answer.
        try Data("""
            {"prompt":" The capital of Zorbia is","expected":""}
            {"prompt":" Once upon a time","expected":""}
            {"prompt":" The capital of Zorbia is","expected":" Quell"}
            """.utf8).write(to: URL(fileURLWithPath: probes))

        let diff = try ElderProcess.run(["diff", "HEAD~1", "HEAD", "--probes", probes, "--json"], in: repo)
        XCTAssertSucceeded(diff)
        let changes = try diff.objects("behaviour")
        XCTAssertEqual(try diff.json()["probesChecked"] as? Int, 3)
        XCTAssertEqual(changes.count, 2, "the Zorbia prompt twice; the unrelated prompt keeps its answer")
        XCTAssertEqual(changes.first?["before"] as? String, baseAnswer)
        XCTAssertEqual(changes.first?["after"] as? String, editedAnswer)

        // eval at HEAD: the edit holds; the base-answer probe fails (the edit changed it): exit 1.
        let eval = try ElderProcess.run(["eval", "--probes", probes, "--json"], in: repo)
        XCTAssertEqual(eval.status, 1, eval.stderr)
        XCTAssertEqual(eval.stderr.split(whereSeparator: \.isNewline).count, 1, eval.stderr)
        XCTAssertTrue(eval.stderr.contains("1 of 3 probes fail"), eval.stderr)
        let json = try eval.json()
        XCTAssertEqual(json["reliability"] as? Double, 1)
        XCTAssertEqual(json["stateHash"] as? String, edit.stateHash)
        let results = try eval.objects("probes")
        XCTAssertEqual(results.map { $0["passed"] as? Bool }, [false, true, true])
        XCTAssertEqual(results[0]["wanted"] as? String, baseAnswer)
        XCTAssertEqual(results[0]["check"] as? String, "base")
        XCTAssertEqual(try eval.objects("edits").first?["id"] as? String, edit.editID)
        XCTAssertNotNil(try eval.objects("edits").first?["paraphraseReliability"])
        // Before the edit: the base-answer probes pass, the expected " Quell" does not.
        let before = try ElderProcess.run(["eval", "HEAD~1", "--probes", probes, "--json"], in: repo)
        XCTAssertEqual(before.status, 1)
        XCTAssertEqual(try before.objects("probes").map { $0["passed"] as? Bool }, [true, true, false])
        XCTAssertNil(try before.json()["reliability"] as? Double)
        // Only passing probes: exit 0 (usable by CI and bisect run).
        try Data(#"{"prompt":" Once upon a time","expected":""}"#.utf8).write(to: URL(fileURLWithPath: folder + "/ok.jsonl"))
        XCTAssertSucceeded(try ElderProcess.run(["eval", "--probes", folder + "/ok.jsonl"], in: repo))
        XCTAssertSucceeded(try ElderProcess.run(["eval", "--require-edits", "-q"], in: repo))
    }

    func testDiffAndEvalBadInput() throws {
        let repo = try TinyRepo.make()
        let folder = TinyRepo.folder()
        try Data("{\"prompt\":\"ok\"}\n{\"prompt\": 3}\n".utf8).write(to: URL(fileURLWithPath: folder + "/bad.jsonl"))
        XCTAssertFailed(try ElderProcess.run(["diff", "HEAD", "--probes", folder + "/bad.jsonl"], in: repo),
                        status: 128, containing: "bad.jsonl:2")
        XCTAssertFailed(try ElderProcess.run(["eval", "--probes", folder + "/bad.jsonl"], in: repo),
                        status: 128, containing: "bad.jsonl:2")
        XCTAssertFailed(try ElderProcess.run(["eval", "--probes", folder + "/missing.jsonl"], in: repo),
                        status: 128, containing: "missing.jsonl")
        XCTAssertFailed(try ElderProcess.run(["diff", "nosuch"], in: repo), status: 128, containing: "unknown revision 'nosuch'")
        XCTAssertFailed(try ElderProcess.run(["eval", "nosuch"], in: repo), status: 128, containing: "unknown revision 'nosuch'")
        XCTAssertEqual(try ElderProcess.run(["diff"], in: repo).status, 128)
        XCTAssertEqual(try ElderProcess.run(["eval", "--max-tokens", "0"], in: repo).status, 128)
        XCTAssertFailed(try ElderProcess.run(["eval"], in: folder), status: 128, containing: "not an Elder knowledge repo")
        // A model file that does not match the repo's sha256.
        let wrong = folder + "/wrong.gguf"
        try TinyCheckpoint.make(seed: 5, layers: 4).writeGGUF(to: wrong)
        XCTAssertFailed(try ElderProcess.run(["eval", "--model", wrong], in: repo), status: 128, containing: "sha256")
    }
}
