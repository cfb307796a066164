import ElderTestSupport
import ElderModel
import ElderTensor
import Foundation
import XCTest

/// The real Gemma 3 270M (Q4_K_M) against references made outside the project
/// (Tests/Fixtures/gemma3-270m/README.md): token ids from llama.cpp's tokenizer, and top-10 logits and
/// greedy continuations from a float32 numpy forward pass over the weights the `gguf` package dequantizes.
final class GemmaGoldenTests: XCTestCase {
    struct Vector: Decodable { let text: String; let ids: [Int] }
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let top10_ids: [Int]
        let top10_logits: [Float]
        let logsumexp: Double
        let logit_l2: Double
        let greedy_ids: [Int]
    }

    func testTokenIDsEqualLlamaCpp() throws {
        let tokenizer = try LoadedModel.tokenizer(gguf: GGUFFile(path: RealGemma.requirePath()))
        let vectors = try RealGemma.golden("tokenizer-golden.json", as: [Vector].self)
        XCTAssertGreaterThanOrEqual(vectors.count, 100)
        var exact = 0
        for v in vectors {
            let ids = tokenizer.encode(v.text)
            if ids == v.ids { exact += 1 }
            XCTAssertEqual(ids, v.ids, "encode(\(v.text.debugDescription))")
            XCTAssertEqual(tokenizer.decode(ids), v.text, "decode(encode(\(v.text.debugDescription)))")
        }
        print("gemma tokenizer golden: \(exact)/\(vectors.count) texts exact")
    }

    func testTokenizerFacts() throws {
        let tokenizer = try LoadedModel.tokenizer(gguf: GGUFFile(path: RealGemma.requirePath()))
        XCTAssertEqual(tokenizer.vocabularySize, 262_144)
        XCTAssertEqual(tokenizer.bosTokenID, 2)
        XCTAssertEqual(tokenizer.eosTokenID, 1)
        let startOfTurn = try XCTUnwrap(tokenizer.id(of: "<start_of_turn>"))
        XCTAssertEqual(tokenizer.encode("<start_of_turn>user", parseSpecial: true).prefix(2), [2, startOfTurn])
        XCTAssertFalse(tokenizer.encode("<start_of_turn>user").contains(startOfTurn))
        // Byte fallback: a character outside the vocabulary becomes its UTF-8 bytes' <0xXX> tokens.
        let rare = "\u{10FFFD}"
        let ids = tokenizer.encode(rare)
        XCTAssertEqual(ids.count, 1 + rare.utf8.count)
        XCTAssertEqual(tokenizer.decode(ids), rare)
    }

    func testArchitectureReadFromMetadata() throws {
        let c = try LlamaConfiguration(gguf: GGUFFile(path: RealGemma.requirePath()))
        XCTAssertEqual(c.layerCount, 18)
        XCTAssertEqual(c.hiddenSize, 640)
        XCTAssertEqual([c.headCount, c.kvHeadCount, c.headDimension], [4, 1, 256])
        XCTAssertEqual(c.ropeBase, 1_000_000)
        XCTAssertEqual(c.ropeStyle, .halfSplit)
        XCTAssertTrue(c.tiedEmbeddings)
        XCTAssertEqual(c.block.feedForward, .geGLUTanh)
        XCTAssertTrue(c.block.queryKeyNorm && c.block.postNorms)
        XCTAssertEqual(c.block.embeddingScale ?? 0, Float(640).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(c.block.attentionScale ?? 0, 1 / 16, accuracy: 1e-7)
        // 5 local : 1 global, local layers with a 512-position window and RoPE base 10,000.
        XCTAssertEqual((0..<18).filter { !c.block.isLocal($0) }, [5, 11, 17])
        XCTAssertEqual(c.block.window(0), 512)
        XCTAssertNil(c.block.window(5))
        XCTAssertEqual(c.block.ropeBase(0, global: c.ropeBase), 10_000)
        XCTAssertEqual(c.block.ropeBase(5, global: c.ropeBase), 1_000_000)
    }

    /// The GGUF converter stores Gemma's RMSNorm weights as 1 + w (transformers computes x·(1 + w)): the
    /// stored weights are used as they are. Were they raw w, the norms would scale by about 0.
    func testNormWeightsAreStoredWithTheOneAdded() throws {
        let gguf = try GGUFFile(path: RealGemma.requirePath())
        let w = try gguf.tensor("blk.0.attn_norm.weight").scalars
        let mean = w.reduce(0, +) / Float(w.count)
        print("gemma blk.0.attn_norm.weight mean \(mean), min \(w.min()!), max \(w.max()!)")
        XCTAssertGreaterThan(w.filter { $0 > 0 }.count, w.count * 9 / 10)
    }

    func testLastPositionLogitsAndGreedyContinuationsMatchReference() throws {
        let loaded = try RealGemma.load()
        let cases = try RealGemma.golden("logits-golden.json", as: [Case].self)
        XCTAssertGreaterThanOrEqual(cases.count, 10)
        var worstLogit: Float = 0, worstLSE = 0.0
        for c in cases {
            XCTAssertEqual(loaded.tokenizer.encode(c.text), c.ids, "ids of \(c.text)")
            let logits = loaded.model.forward(c.ids, lastOnly: true).scalars
            XCTAssertEqual(topK(logits, k: 10).map(\.index), c.top10_ids, "top-10 ids of \(c.text)")
            for (id, expected) in zip(c.top10_ids, c.top10_logits) {
                worstLogit = max(worstLogit, abs(logits[id] - expected))
                XCTAssertEqual(logits[id], expected, accuracy: 1e-2, "logit \(id) of \(c.text)")
            }
            let m = Double(logits.max()!)
            let lse = m + log(logits.reduce(0.0) { $0 + exp(Double($1) - m) })
            worstLSE = max(worstLSE, abs(lse - c.logsumexp))
            XCTAssertEqual(lse, c.logsumexp, accuracy: 1e-2, "logsumexp of \(c.text)")
            let l2 = sqrt(logits.reduce(0.0) { $0 + Double($1) * Double($1) })
            XCTAssertEqual(l2, c.logit_l2, accuracy: 1e-4 * c.logit_l2, "L2 norm of \(c.text)")
            // Greedy continuation through the KV cache and the quantized decode kernels.
            let generated = TextGenerator(loaded).generate(tokens: c.ids, options: GenerationOptions(maxTokens: c.greedy_ids.count))
            let expected = Array(c.greedy_ids.prefix { !loaded.stopTokenIDs.contains($0) })
            XCTAssertEqual(generated.tokenIDs, expected, "greedy continuation of \(c.text)")
        }
        print("gemma forward golden: max |logit diff| \(worstLogit), max |logsumexp diff| \(worstLSE)")
    }

    func testCachedDecodingMatchesFullForward() throws {
        let loaded = try RealGemma.load()
        let ids = loaded.tokenizer.encode("The Eiffel Tower is located in the city of")
        let full = loaded.model.forward(ids)
        let cache = KVCache(configuration: loaded.configuration)
        _ = loaded.model.forward(Array(ids.prefix(4)), cache: cache)
        var last = Tensor(zeros: [1])
        for id in ids.dropFirst(4) { last = loaded.model.forward([id], cache: cache) }
        let expected = Tensor(shape: [1, full.lastDimension], scalars: full.row(ids.count - 1))
        XCTAssertLessThan(maxAbsDifference(last, expected), 2e-3)
    }
}
