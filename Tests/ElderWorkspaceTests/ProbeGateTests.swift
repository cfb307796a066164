import ElderEditing
import ElderModel
import ElderRecords
import ElderStore
import ElderTestSupport
import Foundation
import XCTest
@testable import Elder

/// The probe gate's verdicts kept for the next edit of a stream are what probing the committed state,
/// rebuilt from the repo, gives.
final class ProbeGateTests: XCTestCase {
    func testVerdictsKeptForTheNextEditMatchTheRebuiltState() throws {
        let path = temporaryFolder("elder-probe-gate-model") + "/tiny-llama.gguf"
        try TinyCheckpoint.make(seed: 7, layers: 4).writeGGUF(to: path)
        let ws = try Workspace.initialize(at: temporaryFolder("elder-probe-gate") + "/facts", model: try LoadedModel.load(path: path))
        let gate = ProbeGate(probes: [Probe(prompt: "The capital of Zorbia is"), Probe(prompt: "Bread is made of"),
                                      Probe(prompt: "The river of Zorbia is", expected: " Vell")])
        let first = try ws.edit(EditRequest(id: "a", prompt: "The river of Zorbia is", target: " Vell"), gate: .probes(gate))
        XCTAssertEqual(first.probes.map(\.before), [true, true, false])
        XCTAssertEqual(first.probes[2].after, first.holds, "the expected-answer probe is the edit's own prompt")
        let kept = try XCTUnwrap(ws.probeVerdicts)
        XCTAssertEqual(kept.stateHash, first.stateHash)
        XCTAssertEqual(kept.passed, first.probes.map(\.after))

        // Probing the rebuilt committed state afresh (a hash nothing was kept for) gives the same verdicts.
        ws.probeVerdicts = nil
        let rebuilt = try ws.editor(for: try ws.version(of: first.commit))
        let fresh = try ws.probeChanges(gate, before: rebuilt, beforeHash: "none", after: rebuilt, commit: first.commit)
        XCTAssertEqual(fresh.map(\.before), kept.passed)

        // The next edit's `before` is the kept verdicts.
        ws.probeVerdicts = kept
        let second = try ws.edit(EditRequest(id: "b", prompt: "The sea of Zorbia is", target: " Ost"), gate: .probes(gate))
        XCTAssertEqual(second.probes.map(\.before), kept.passed)
        XCTAssertEqual(ws.probeVerdicts?.stateHash, second.stateHash)
    }

    /// The routing shortcut (a probe neither state fires on keeps its base verdict, no full pass) gives the
    /// verdicts the full teacher-forced passes give, on probes that fire and probes that do not.
    func testTheRoutingShortcutGivesTheFullVerdicts() throws {
        let path = temporaryFolder("elder-probe-gate-model") + "/tiny-llama.gguf"
        try TinyCheckpoint.make(seed: 7, layers: 4).writeGGUF(to: path)
        let ws = try Workspace.initialize(at: temporaryFolder("elder-probe-shortcut") + "/facts", model: try LoadedModel.load(path: path))
        try ws.edit(EditRequest(id: "a", prompt: "The river of Zorbia is", target: " Vell"))
        let tip = try ws.version(of: try ws.resolve("main"))
        let before = try ws.editor(for: tip)
        let after = try ws.editor(for: tip)
        _ = try after.edit(EditRequest(id: "b", prompt: "The capital of Zorbia is", target: " Quell"))
        let prompts = ["The capital of Zorbia is", "The capital of Zorbia was", "The river of Zorbia is", "Bread is made of",
                       "The sea of Zorbia is", "My favourite colour is", "Water boils at"]
        let gate = ProbeGate(probes: prompts.map { Probe(prompt: $0) } + [Probe(prompt: "The river of Zorbia is", expected: " Vell"),
                                                                         Probe(prompt: "Water boils at", expected: " 100")])
        let fast = try ws.probeChanges(gate, before: before, beforeHash: "-", after: after, commit: tip.commit)
        let full = try ws.probeChanges(gate, before: before, beforeHash: "-", after: after, commit: tip.commit, routeFirst: false)
        XCTAssertEqual(fast.map(\.before), full.map(\.before))
        XCTAssertEqual(fast.map(\.after), full.map(\.after))
        XCTAssertTrue(fast.contains { $0.wanted == nil }, "some probe fires on neither state")
        XCTAssertTrue(fast.contains { $0.broken }, "the edited prompt's base answer is broken")
    }

    /// `answer` (the base answer, cached in memory and in the repo's base-answer file, when the deferral
    /// does not fire) is the greedy answer, prompt by prompt; the file serves a new workspace, ignores other
    /// models' lines and lines cut short.
    func testCachedBaseAnswersAreTheGreedyAnswers() throws {
        let path = temporaryFolder("elder-probe-gate-model") + "/tiny-llama.gguf"
        try TinyCheckpoint.make(seed: 7, layers: 4).writeGGUF(to: path)
        let repo = temporaryFolder("elder-base-answers") + "/facts"
        let ws = try Workspace.initialize(at: repo, model: try LoadedModel.load(path: path))
        let commit = try ws.edit(EditRequest(id: "a", prompt: "The river of Zorbia is", target: " Vell")).commit
        let editor = try ws.editor(for: try ws.version(of: commit))
        let prompts = ["The river of Zorbia is", "The capital of Zorbia is", "Bread is made of", "Water boils at", "My dog is"]
        let measurer = Measurer(model: ws.model)
        var viaBase = 0
        for p in prompts {
            let greedy = measurer.greedy(editor: editor, prompt: p, maxTokens: 6)
            XCTAssertEqual(try ws.answer(p, editor: editor, maxTokens: 6, commit: commit).tokens, greedy.tokens, p)
            if greedy.routing?.fired != true { viaBase += 1 }
        }
        XCTAssertGreaterThan(viaBase, 0)
        let file = repo + "/elder/base-answers.jsonl"
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, viaBase, "one line per base answer computed")

        // A line of another model (same prompt, other tokens) and a line cut short are ignored by a new workspace.
        let other = #"{"maxTokens":6,"model":"0000","prompt":"Bread is made of","tokens":[1,2,3]}"#
        try (lines.joined(separator: "\n") + "\n" + other + "\n" + #"{"maxTok"# + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let reopened = try Workspace.open(at: repo, model: path)
        XCTAssertEqual(reopened.baseAnswerFile.load().count, viaBase)
        let again = try reopened.editor(for: try reopened.version(of: commit))
        for p in prompts {
            XCTAssertEqual(try reopened.answer(p, editor: again, maxTokens: 6, commit: commit).tokens,
                           measurer.greedy(editor: editor, prompt: p, maxTokens: 6).tokens, p)
        }
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").count, viaBase + 2, "nothing recomputed")
    }
}
