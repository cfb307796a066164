@testable import Elder
import ElderEditing
import ElderEval
import ElderModel
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// The probe gate's verdicts kept for the next edit of a stream are what probing the committed state,
/// rebuilt from the repo, gives.
final class ProbeGateTests: XCTestCase {
    func testVerdictsKeptForTheNextEditMatchTheRebuiltState() throws {
        let path = temporaryFolder("elder-probe-gate-model") + "/tiny-llama.gguf"
        try TinyCheckpoint.make(seed: 7, layers: 4).writeGGUF(to: path)
        let ws = try Workspace.initialize(at: temporaryFolder("elder-probe-gate") + "/facts", model: try LoadedModel.load(path: path))
        let gate = ProbeGate(probes: [Probe(prompt: "The capital of Zorbia is"), Probe(prompt: "Bread is made of"),
                                      Probe(prompt: "The river of Zorbia is", expected: " Vell")])
        let first = try ws.edit(EditRequest(id: "a", prompt: "The river of Zorbia is", target: " Vell"), gate: gate)
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
        let second = try ws.edit(EditRequest(id: "b", prompt: "The sea of Zorbia is", target: " Ost"), gate: gate)
        XCTAssertEqual(second.probes.map(\.before), kept.passed)
        XCTAssertEqual(ws.probeVerdicts?.stateHash, second.stateHash)
    }
}
