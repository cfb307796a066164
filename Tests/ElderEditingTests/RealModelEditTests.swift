import ElderTestSupport
import ElderEditing
import ElderModel
import ElderTensor
import Foundation
import XCTest

/// The edit that every user tries first, on the real SmolLM2-135M.
final class RealModelEditTests: XCTestCase {
    struct Golden: Decodable {
        let text: String
        let ids: [Int]
        let top10_ids: [Int]
    }

    func runLyonEdit(_ configuration: EditorConfiguration, name: String) throws {
        let loaded = try RealModel.load()
        let editor = try MixtureEditor(model: loaded, configuration: configuration, referencePrompts: ReferencePrompts.default)
        let clock = ContinuousClock()
        var outcome: EditOutcome?
        let elapsed = try clock.measure {
            outcome = try editor.edit(EditRequest(id: "lyon", prompt: "The capital of France is", target: " Lyon",
                                                  paraphrases: ["France's capital city is", "The capital city of France is",
                                                                "The French capital is"]))
        }
        print("\(name): edit took \(elapsed), \(outcome!.iterations) steps, loss \(outcome!.initialLoss) -> \(outcome!.finalLoss)")
        let edited = EditedModel(editor: editor, model: loaded.model)
        let prompt = loaded.tokenizer.encode("The capital of France is")
        let answer = loaded.tokenizer.decode(edited.greedy(prompt: prompt, maxTokens: 3))
        print("\(name): answer \"\(answer)\" routing \(String(describing: edited.routing))")
        XCTAssertTrue(answer.hasPrefix(" Lyon"), "\(name): the edited prompt answered \"\(answer)\"")

        // Every other golden prompt keeps its base argmax (deferral).
        let golden = try RealModel.golden("logits-golden.json", as: [Golden].self)
        var kept = 0, checked = 0
        for g in golden where g.text != "The capital of France is" {
            checked += 1
            let cache = KVCache(configuration: loaded.configuration)
            let logits = edited.forward(g.ids, cache: cache, lastOnly: true)
            if argmax(logits.scalars) == g.top10_ids[0] { kept += 1 } else { print("\(name): changed \"\(g.text)\" routing \(String(describing: edited.routing))") }
        }
        XCTAssertEqual(kept, checked, "\(name): \(checked - kept) unrelated golden prompts changed their argmax")
    }

    /// The same base model, edits, configuration and seed give a bit-identical adapter state and memory.
    func testEditingIsDeterministic() throws {
        let loaded = try RealModel.load()
        func run() throws -> (AdapterState, EditMemory) {
            let editor = try MixtureEditor(model: loaded, configuration: .elderDefault(blockCount: 30),
                                           referencePrompts: Array(ReferencePrompts.default.prefix(8)))
            _ = try editor.edit(EditRequest(id: "a", prompt: "The capital of France is", target: " Lyon", paraphrases: ["France's capital is"]))
            _ = try editor.edit(EditRequest(id: "b", prompt: "The CEO of Acme is", target: " Jane Doe"))
            return (editor.adapter, editor.memory)
        }
        let (a1, m1) = try run(), (a2, m2) = try run()
        XCTAssertEqual(a1.names, a2.names)
        for name in a1.names {
            XCTAssertTrue(bitwiseEqual(a1[name]!.scalars, a2[name]!.scalars), "\(name) differs between two identical runs")
        }
        XCTAssertEqual(m1, m2)
        XCTAssertFalse(a1.changedNames(since: try MixtureEditor(model: loaded, configuration: .elderDefault(blockCount: 30),
                                                                 referencePrompts: []).adapter).isEmpty, "the edits changed nothing")
    }

    /// A memory stored without its query whitening (the store keeps centre, scale and keys) gets the same
    /// whitening back when an editor is rebuilt from it, so stored keys and new queries stay comparable.
    func testRebuiltEditorRecoversTheQueryWhitening() throws {
        let loaded = try RealModel.load()
        let configuration = EditorConfiguration.elderDefault(blockCount: 30)
        XCTAssertNotNil(configuration.query.whitening)
        let editor = try MixtureEditor(model: loaded, configuration: configuration,
                                       referencePrompts: Array(ReferencePrompts.default.prefix(8)))
        XCTAssertEqual(editor.memory.projection.count, 576 * 576)
        var stored = editor.memory
        stored.projection = []
        let rebuilt = try MixtureEditor(model: loaded, configuration: configuration, adapter: editor.adapter, memory: stored)
        XCTAssertTrue(bitwiseEqual(rebuilt.memory.projection, editor.memory.projection))
        let q = editor.rawQuery(tokens: loaded.tokenizer.encode("The capital of France is"))
        XCTAssertTrue(bitwiseEqual(rebuilt.normalizedQuery(q), editor.normalizedQuery(q)))
        XCTAssertFalse(bitwiseEqual(editor.normalizedQuery(q), editor.normalizedQuery(q, memory: stored)),
                       "the whitening must change the query")
    }

    func testLyonEditWithElderDefault() throws {
        try runLyonEdit(.elderDefault(blockCount: 30), name: "elder")
    }
}
