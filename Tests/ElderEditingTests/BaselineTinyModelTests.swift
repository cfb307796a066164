import ElderEditing
import ElderModel
import ElderTensor
import XCTest

/// A tiny random LLaMA (4 blocks, D 16, F 32, 95 byte tokens) built through the public loading path, for
/// unit tests of the baselines that need a model but not a real one.
enum TinyModel {
    /// Named random tensors in Hugging Face layout.
    struct Source: TensorSource {
        let tensors: [String: Tensor]
        var sourcePath: String { "<tiny>" }
        func contains(_ name: String) -> Bool { tensors[name] != nil }
        func shape(of name: String) -> [Int]? { tensors[name]?.shape }
        func tensor(_ name: String) throws -> Tensor { tensors[name]! }
    }

    static func make(blocks: Int = 4, seed: UInt64 = 11) throws -> LoadedModel {
        // Byte-level BPE without merges: "Ġ" is the space byte, printable ASCII maps to itself.
        let tokens = ["Ġ"] + (0x21...0x7E).map { String(UnicodeScalar(UInt8($0))) }
        let c = LlamaConfiguration(vocabularySize: tokens.count, hiddenSize: 16, intermediateSize: 32, layerCount: blocks,
                                   headCount: 2, kvHeadCount: 1, headDimension: 8, rmsNormEpsilon: 1e-5, ropeBase: 10000,
                                   ropeStyle: .halfSplit, tiedEmbeddings: true, contextLength: 64)
        var t: [String: Tensor] = [:]
        var s = seed
        func next() -> UInt64 { s &+= 1; return s }
        t["model.embed_tokens.weight"] = randomTensor([c.vocabularySize, 16], seed: next())
        t["model.norm.weight"] = Tensor(repeating: 1, shape: [16])
        for i in 0..<blocks {
            let p = "model.layers.\(i)."
            t[p + "input_layernorm.weight"] = Tensor(repeating: 1, shape: [16])
            t[p + "post_attention_layernorm.weight"] = Tensor(repeating: 1, shape: [16])
            t[p + "self_attn.q_proj.weight"] = randomTensor([c.queryWidth, 16], seed: next(), scale: 0.4)
            t[p + "self_attn.k_proj.weight"] = randomTensor([c.kvWidth, 16], seed: next(), scale: 0.4)
            t[p + "self_attn.v_proj.weight"] = randomTensor([c.kvWidth, 16], seed: next(), scale: 0.4)
            t[p + "self_attn.o_proj.weight"] = randomTensor([16, c.queryWidth], seed: next(), scale: 0.4)
            t[p + "mlp.gate_proj.weight"] = randomTensor([32, 16], seed: next(), scale: 0.4)
            t[p + "mlp.up_proj.weight"] = randomTensor([32, 16], seed: next(), scale: 0.4)
            t[p + "mlp.down_proj.weight"] = randomTensor([16, 32], seed: next(), scale: 0.3)
        }
        let model = try LlamaModel(configuration: c, source: Source(tensors: t), names: .huggingFace)
        let tokenizer = try BPETokenizer(tokens: tokens, merges: [], specialTokenIDs: [],
                                         preTokenizer: PreTokenizer(individualDigits: false), bosTokenID: nil, eosTokenID: nil)
        return LoadedModel(path: "<tiny>", model: model, tokenizer: tokenizer, chatTemplate: nil, stopTokenIDs: [])
    }
}

final class BaselineTinyModelTests: XCTestCase {
    let request = EditRequest(id: "e1", prompt: "The sky is", target: "Q", paraphrases: ["Sky color is"])

    /// Greedy continuation through `editor`, decoded.
    func answer(_ editor: any Editor, _ loaded: LoadedModel, _ prompt: String, tokens: Int = 1) -> String {
        let edited = EditedModel(editor: editor, model: loaded.model)
        return loaded.tokenizer.decode(edited.greedy(prompt: loaded.tokenizer.encode(prompt), maxTokens: tokens))
    }

    func baseLogits(_ loaded: LoadedModel, _ prompt: String) -> Tensor {
        loaded.model.forward(loaded.tokenizer.encode(prompt))
    }

    func editedLogits(_ editor: any Editor, _ loaded: LoadedModel, _ prompt: String) -> (Tensor, RoutingExplanation) {
        let edited = EditedModel(editor: editor, model: loaded.model)
        let (logits, routing) = edited.teacherForcedLogits(prompt: loaded.tokenizer.encode(prompt), continuation: [])
        return (logits, routing)
    }

    func testFineTuneEditMakesTheTargetTheArgmax() throws {
        let loaded = try TinyModel.make()
        var c = EditorConfiguration.fineTuneLayer(blockCount: 4)
        XCTAssertEqual(c.layers, [2])
        c.learningRate = 1e-2
        let editor = try FineTuneEditor(model: loaded, configuration: c)
        XCTAssertNotEqual(answer(editor, loaded, request.prompt), "Q", "the base model already answers the target")
        let outcome = try editor.edit(request)
        XCTAssertTrue(outcome.converged, "loss \(outcome.initialLoss) -> \(outcome.finalLoss) in \(outcome.iterations) steps")
        XCTAssertLessThan(outcome.finalLoss, outcome.initialLoss)
        XCTAssertEqual(outcome.changedTensors, ["ftl.2.down"])
        XCTAssertEqual(editor.adapter["ftl.2.down"]?.shape, [16, 32])
        XCTAssertEqual(answer(editor, loaded, request.prompt), "Q")
        XCTAssertEqual(answer(editor, loaded, request.paraphrases[0]), "Q", "trained paraphrase")
        // No deferral: an unrelated prompt is changed too (the fine-tune acts on everything).
        let (logits, routing) = editedLogits(editor, loaded, "Hello world")
        XCTAssertTrue(routing.fired)
        XCTAssertGreaterThan(maxAbsDifference(logits, baseLogits(loaded, "Hello world")), 0)
    }

    func testLoRAEditMakesTheTargetTheArgmaxAndAFreshLoRAChangesNothing() throws {
        let loaded = try TinyModel.make()
        var c = EditorConfiguration.singleLoRA(blockCount: 4)
        XCTAssertEqual(c.layers, [1, 2, 3])
        c.learningRate = 2e-2
        let editor = try LoRAEditor(model: loaded, configuration: c)
        XCTAssertEqual(editor.adapter.names, ["lora.1.A", "lora.1.B", "lora.2.A", "lora.2.B", "lora.3.A", "lora.3.B"])
        XCTAssertEqual(editor.adapter["lora.1.A"]?.shape, [8, 32])
        XCTAssertEqual(editor.adapter["lora.1.B"]?.shape, [16, 8])
        let (fresh, _) = editedLogits(editor, loaded, "Hello world")
        XCTAssertEqual(maxAbsDifference(fresh, baseLogits(loaded, "Hello world")), 0, "B = 0: a fresh LoRA is the base model")
        let outcome = try editor.edit(request)
        XCTAssertTrue(outcome.converged, "loss \(outcome.initialLoss) -> \(outcome.finalLoss) in \(outcome.iterations) steps")
        XCTAssertEqual(Set(outcome.changedTensors), Set(editor.adapter.names))
        XCTAssertEqual(answer(editor, loaded, request.prompt), "Q")
        XCTAssertThrowsError(try editor.edit(request), "a live edit id cannot be reused")
    }

    func testGraceEditFiresOnItsPromptOnlyAndForgets() throws {
        let loaded = try TinyModel.make()
        var c = EditorConfiguration.grace(blockCount: 4)
        XCTAssertEqual(c.layers, [2])
        c.grace = GraceOptions(initialRadius: 1e-3)   // only the edited prompt itself is in scope
        c.learningRate = 0.1
        let editor = try GraceEditor(model: loaded, configuration: c)
        let outcome = try editor.edit(request)
        XCTAssertTrue(outcome.converged, "loss \(outcome.initialLoss) -> \(outcome.finalLoss) in \(outcome.iterations) steps")
        XCTAssertEqual(editor.adapter["grace.2.keys"]?.shape, [1, 32])
        XCTAssertEqual(editor.adapter["grace.2.values"]?.shape, [1, 16])
        XCTAssertEqual(editor.adapter["grace.2.radii"]?.scalars, [1e-3])
        XCTAssertEqual(editor.adapter["grace.2.keys"]!.scalars, editor.key(tokens: loaded.tokenizer.encode(request.prompt)))
        XCTAssertEqual(answer(editor, loaded, request.prompt), "Q")
        let (_, routing) = editedLogits(editor, loaded, request.prompt)
        XCTAssertTrue(routing.fired)
        XCTAssertEqual(routing.matchedEdit, "e1")
        XCTAssertEqual(routing.layers.first?.experts, [0])

        // Outside every radius: the base model, bit for bit (prompt pass and generation).
        for other in ["Hello world", "The sea is", request.paraphrases[0]] {
            let (logits, r) = editedLogits(editor, loaded, other)
            XCTAssertFalse(r.fired, other)
            XCTAssertTrue(bitwiseEqual(logits.scalars, baseLogits(loaded, other).scalars), "\(other): logits differ from the base model")
            let edited = EditedModel(editor: editor, model: loaded.model)
            let ids = loaded.tokenizer.encode(other)
            XCTAssertEqual(edited.greedy(prompt: ids, maxTokens: 4), greedyBase(loaded, ids, 4), other)
        }

        editor.forget(editID: "e1")
        XCTAssertNil(editor.adapter["grace.2.keys"])
        XCTAssertTrue(editor.memory.entries.isEmpty)
        let (logits, r) = editedLogits(editor, loaded, request.prompt)
        XCTAssertFalse(r.fired)
        XCTAssertTrue(bitwiseEqual(logits.scalars, baseLogits(loaded, request.prompt).scalars))
    }

    func testGraceSecondEditWithAnotherAnswerSplitsAndBothHold() throws {
        let loaded = try TinyModel.make()
        var c = EditorConfiguration.grace(blockCount: 4)
        c.learningRate = 0.1
        let editor = try GraceEditor(model: loaded, configuration: c)
        let k1 = editor.key(tokens: loaded.tokenizer.encode("The sky is"))
        let k2 = editor.key(tokens: loaded.tokenizer.encode("The sea is"))
        var d2 = 0.0
        for j in 0..<k1.count { d2 += Double(k1[j] - k2[j]) * Double(k1[j] - k2[j]) }
        let d = Float(d2.squareRoot())
        c.grace = GraceOptions(initialRadius: d)      // the second key falls within reach of the first
        let editor2 = try GraceEditor(model: loaded, configuration: c)
        _ = try editor2.edit(EditRequest(id: "a", prompt: "The sky is", target: "Q"))
        _ = try editor2.edit(EditRequest(id: "b", prompt: "The sea is", target: "Z"))
        let radii = editor2.adapter["grace.2.radii"]!.scalars
        XCTAssertEqual(radii.count, 2)
        XCTAssertEqual(radii[0], d / 2 - 1e-5, accuracy: 1e-5)
        XCTAssertEqual(radii[1], d / 2, accuracy: 1e-5)
        XCTAssertEqual(answer(editor2, loaded, "The sky is"), "Q")
        XCTAssertEqual(answer(editor2, loaded, "The sea is"), "Z")
        // Forgetting the first edit removes its key; the second keeps working.
        editor2.forget(editID: "a")
        XCTAssertEqual(editor2.adapter["grace.2.keys"]?.rowCount, 1)
        XCTAssertEqual(editor2.adapter["grace.2.keys"]!.scalars, k2)
        XCTAssertEqual(answer(editor2, loaded, "The sea is"), "Z")
    }

    func testFactoryBuildsTheEditorOfEachMethod() throws {
        let loaded = try TinyModel.make()
        var lora = EditorConfiguration.singleLoRA(blockCount: 4)
        lora.layers = [2, 3]
        XCTAssertTrue(try makeEditor(model: loaded, configuration: .fineTuneLayer(blockCount: 4)) is FineTuneEditor)
        XCTAssertTrue(try makeEditor(model: loaded, configuration: lora) is LoRAEditor)
        XCTAssertTrue(try makeEditor(model: loaded, configuration: .grace(blockCount: 4)) is GraceEditor)
        var elder = EditorConfiguration.elderDefault(blockCount: 4)
        elder.layers = [2, 3]
        elder.query.layer = 1
        XCTAssertTrue(try makeEditor(model: loaded, configuration: elder, referencePrompts: ["Hello"]) is MixtureEditor)
        for m in EditorConfiguration.Method.allCases {
            XCTAssertEqual(EditorConfiguration.preset(m, blockCount: 30).method, m)
            XCTAssertNoThrow(try EditorConfiguration.preset(m, blockCount: 30).validate(blockCount: 30), m.rawValue)
        }
        XCTAssertEqual(EditorConfiguration.fineTuneLayer(blockCount: 30).layers, [21])
        XCTAssertEqual(EditorConfiguration.grace(blockCount: 30).layers, [21])
        XCTAssertEqual(EditorConfiguration.singleLoRA(blockCount: 30).layers, Array(20...25))
        // The GRACE knob survives a JSON round trip (elder.json); other methods carry none.
        let data = try JSONEncoder().encode(EditorConfiguration.grace(blockCount: 30))
        XCTAssertEqual(try JSONDecoder().decode(EditorConfiguration.self, from: data), .grace(blockCount: 30))
        XCTAssertNil(EditorConfiguration.elderDefault(blockCount: 30).grace)
    }

    func greedyBase(_ loaded: LoadedModel, _ prompt: [Int], _ n: Int) -> [Int] {
        var ids = prompt, out: [Int] = []
        for _ in 0..<n {
            let next = argmax(loaded.model.forward(ids, lastOnly: true).scalars)
            out.append(next)
            ids.append(next)
        }
        return out
    }
}

/// The analytic FLOP count against an independent count: the model's own weight matrices, summed.
final class BaselineArithmeticTests: XCTestCase {
    func testFineTuneCountMatchesTheModelsOwnMatrices() throws {
        let loaded = try TinyModel.make()
        let m = loaded.configuration
        let c = EditorConfiguration.fineTuneLayer(blockCount: 4)        // layer 2, whole sequence
        let batch = [EditArithmetic.Sequence(promptTokens: 5, targetTokens: 2)]
        let a = EditArithmetic.count(model: m, configuration: c, batch: batch, steps: 3)
        // Independent: 2 FLOPs per weight element per token, attention 4·(position+1)·queryWidth per token.
        let perBlock = loaded.model.blocks[0]
        let elements = [perBlock.attention.wq, perBlock.attention.wk, perBlock.attention.wv, perBlock.attention.wo,
                        perBlock.mlp.gate, perBlock.mlp.up, perBlock.mlp.down].reduce(0) { $0 + $1.count }
        let tokens = 7.0
        let attention = (0..<7).reduce(0.0) { $0 + 4 * Double($1 + 1) * Double(m.queryWidth) }
        let block = 2 * Double(elements) * tokens + attention
        XCTAssertEqual(a.frozenFLOPs, 2 * block, accuracy: 1e-6, "blocks 0 and 1 over every token")
        let head = 2 * 2 * Double(m.vocabularySize * m.hiddenSize)
        let delta = 2 * tokens * Double(m.hiddenSize * m.intermediateSize)
        XCTAssertEqual(a.stepForwardFLOPs, 2 * block + head + delta, accuracy: 1e-6, "blocks 2 and 3, the head on 2 rows, ΔW")
        let blockBackward = 2 * Double(elements) * tokens + 2 * attention
        XCTAssertEqual(a.stepBackwardFLOPs, blockBackward + head + delta, accuracy: 1e-6, "block 3 fully, block 2 only ΔW")
        XCTAssertEqual(a.totalFLOPs, a.frozenFLOPs + 4 * a.stepForwardFLOPs + 3 * a.stepBackwardFLOPs, accuracy: 1e-6)
    }
}
