import ElderTestSupport
import ElderModel
import ElderTensor
import Foundation
import XCTest

/// The real Gemma 3 270M (Q4_K_M): its tokenizer against token ids from llama.cpp
/// (Tests/Fixtures/gemma3-270m/README.md) and its architecture as read from the GGUF metadata.
final class GemmaGoldenTests: XCTestCase {
    struct Vector: Decodable { let text: String; let ids: [Int] }

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

    /// llama.cpp's converter (conversion/gemma.py, `Gemma3Model.norm_shift`) stores every Gemma 3 `*norm.weight`
    /// as 1 + w (transformers computes x·(1 + w)) and llama.cpp multiplies by them as stored; so does Elder.
    /// The stored weights are the scales themselves: positive (block 0: 7.4 … 62.5).
    func testNormWeightsAreStoredWithTheOneAdded() throws {
        let gguf = try GGUFFile(path: RealGemma.requirePath())
        let w = try gguf.tensor("blk.0.attn_norm.weight").scalars
        let mean = w.reduce(0, +) / Float(w.count)
        print("gemma blk.0.attn_norm.weight mean \(mean), min \(w.min()!), max \(w.max()!)")
        XCTAssertGreaterThan(w.filter { $0 > 0 }.count, w.count * 9 / 10)
    }
}
