import ElderTestSupport
import ElderEditing
import ElderModel
import ElderTensor
import Foundation
import XCTest

/// The Lyon edit through each baseline on the real SmolLM2-135M; GRACE must also leave every other golden
/// prompt's argmax as the base model has it.
final class BaselineRealModelTests: XCTestCase {
    struct Golden: Decodable {
        let text: String
        let ids: [Int]
        let top10_ids: [Int]
    }

    let lyon = EditRequest(id: "lyon", prompt: "The capital of France is", target: " Lyon",
                           paraphrases: ["France's capital city is", "The capital city of France is", "The French capital is"])

    /// Edits Lyon in, checks the greedy answer and returns the edited model and how many golden prompts kept their argmax.
    @discardableResult
    func runLyonEdit(_ configuration: EditorConfiguration, name: String) throws -> (kept: Int, checked: Int) {
        let loaded = try RealModel.load()
        let editor = try makeEditor(model: loaded, configuration: configuration)
        let clock = ContinuousClock()
        var outcome: EditOutcome?
        let elapsed = try clock.measure { outcome = try editor.edit(lyon) }
        print("\(name): edit took \(elapsed), \(outcome!.iterations) steps, loss \(outcome!.initialLoss) -> \(outcome!.finalLoss)")
        XCTAssertTrue(outcome!.converged, "\(name): training did not reach the target")
        let edited = EditedModel(editor: editor, model: loaded.model)
        let answer = loaded.tokenizer.decode(edited.greedy(prompt: loaded.tokenizer.encode(lyon.prompt), maxTokens: 3))
        print("\(name): answer \"\(answer)\"")
        XCTAssertTrue(answer.hasPrefix(" Lyon"), "\(name): the edited prompt answered \"\(answer)\"")

        let golden = try RealModel.golden("logits-golden.json", as: [Golden].self)
        var kept = 0, checked = 0
        for g in golden where g.text != lyon.prompt {
            checked += 1
            let logits = edited.forward(g.ids, cache: KVCache(configuration: loaded.configuration), lastOnly: true)
            if argmax(logits.scalars) == g.top10_ids[0] { kept += 1 } else { print("\(name): changed \"\(g.text)\"") }
        }
        print("\(name): \(kept)/\(checked) other golden prompts keep their base argmax")
        return (kept, checked)
    }

    func testLyonEditWithFineTuneLayer() throws {
        try runLyonEdit(.fineTuneLayer(blockCount: 30), name: "ft-l")
    }

    func testLyonEditWithSingleLoRA() throws {
        try runLyonEdit(.singleLoRA(blockCount: 30), name: "lora")
    }

    func testLyonEditWithGraceKeepsEveryOtherGoldenPrompt() throws {
        let (kept, checked) = try runLyonEdit(.grace(blockCount: 30), name: "grace")
        XCTAssertEqual(kept, checked, "grace: \(checked - kept) unrelated golden prompts changed their argmax")
    }

    /// Prints GRACE key distances at the default layer (what ε_init was chosen from); asserts the default
    /// radius keeps every other golden prompt outside the Lyon key.
    func testGraceKeyDistancesOnGoldenPrompts() throws {
        let loaded = try RealModel.load()
        let editor = try GraceEditor(model: loaded, configuration: .grace(blockCount: 30))
        let key = editor.key(tokens: loaded.tokenizer.encode(lyon.prompt))
        func distance(_ text: String) -> Float {
            let k = editor.key(tokens: loaded.tokenizer.encode(text))
            return zip(key, k).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        }
        let norm = key.reduce(0) { $0 + $1 * $1 }.squareRoot()
        print("grace: key norm \(norm)")
        for p in lyon.paraphrases { print("grace: paraphrase \"\(p)\" at \(distance(p))") }
        let golden = try RealModel.golden("logits-golden.json", as: [Golden].self)
        let others = golden.filter { $0.text != lyon.prompt }.map { ($0.text, distance($0.text)) }
        for (t, d) in others.sorted(by: { $0.1 < $1.1 }).prefix(8) { print("grace: golden \"\(t)\" at \(d)") }
        let radius = EditorConfiguration.grace(blockCount: 30).grace!.initialRadius
        XCTAssertGreaterThan(others.map(\.1).min() ?? .infinity, radius)
    }
}
