import ElderTestSupport
import ElderModel
import ElderTensor
import Foundation
import XCTest

/// Safetensors and GGUF loading of tiny random models, checked against each other.
final class CheckpointTests: XCTestCase {
    func testSafetensorsRoundTripsEveryDType() throws {
        let dir = temporaryFolder()
        var rng = SeededRandom(7)
        let a = Tensor(shape: [3, 5], scalars: (0..<15).map { _ in rng.normal() * 10 })
        let b = Tensor(shape: [4], scalars: [0, -1.5, 65504, 1e-3])
        for dtype in SafetensorsDType.allCases {
            let path = dir + "/t-\(dtype.rawValue).safetensors"
            try SafetensorsFile.write(["a": a, "b": b], dtype: dtype, metadata: ["format": "pt"], to: path)
            let file = try SafetensorsFile(path: path)
            XCTAssertEqual(file.names, ["a", "b"])
            XCTAssertEqual(file.metadata["format"], "pt")
            XCTAssertEqual(file.entries["a"]?.dtype, dtype)
            let readA = try file.tensor("a"), readB = try file.tensor("b")
            XCTAssertEqual(readA.shape, [3, 5])
            // Relative rounding of the format: exact, 2^-11 (F16), 2^-8 (BF16).
            let tolerance: Float = dtype == .f32 ? 0 : dtype == .f16 ? 1.0 / 2048 : 1.0 / 256
            for (x, y) in zip(a.scalars + b.scalars, readA.scalars + readB.scalars) {
                XCTAssertEqual(x, y, accuracy: abs(x) * tolerance, "\(dtype)")
            }
            // Data starts 8-byte aligned (header padded).
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let headerLength = bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            XCTAssertEqual(headerLength % 8, 0)
        }
    }

    func testGGUFAndHuggingFaceFormsOfOneModelGiveTheSameLogits() throws {
        let tiny = TinyCheckpoint.make(seed: 3)
        let dir = temporaryFolder()
        try tiny.writeHuggingFace(to: dir + "/hf")
        try tiny.writeGGUF(to: dir + "/tiny.gguf")
        let hf = try LoadedModel.load(path: dir + "/hf")
        let gguf = try LoadedModel.load(path: dir + "/tiny.gguf")
        XCTAssertEqual(hf.configuration.ropeStyle, .halfSplit)
        XCTAssertEqual(gguf.configuration.ropeStyle, .adjacentPairs)
        XCTAssertEqual(hf.configuration.hiddenSize, 32)
        XCTAssertEqual(gguf.configuration.kvHeadCount, 2)
        XCTAssertFalse(gguf.configuration.tiedEmbeddings)
        let ids = [5, 70, 200, 13, 99, 1, 42, 7]
        let a = hf.model.forward(ids), b = gguf.model.forward(ids)
        XCTAssertEqual(a.shape, [8, 300])
        XCTAssertLessThan(maxAbsDifference(a, b), 1e-4)
        // The permutation matters: the GGUF weights read with the half-split form disagree.
        var wrong = gguf.model
        var c = wrong.configuration
        c.ropeStyle = .halfSplit
        wrong = LlamaModel(configuration: c, embedding: wrong.embedding,
                           blocks: wrong.blocks.map { b in
                               var b = b
                               b.attention = LlamaAttention(wq: b.attention.wq, wk: b.attention.wk, wv: b.attention.wv,
                                                            wo: b.attention.wo, configuration: c)
                               return b
                           }, finalNorm: wrong.finalNorm, head: wrong.head)
        XCTAssertGreaterThan(maxAbsDifference(wrong.forward(ids), a), 1e-3)
        // Both tokenizers agree too.
        XCTAssertEqual(hf.tokenizer.encode(" the cat and 12 dogs"), gguf.tokenizer.encode(" the cat and 12 dogs"))
    }

    func testShardedAndHalfPrecisionCheckpoints() throws {
        let tiny = TinyCheckpoint.make(seed: 4, tied: true)
        let dir = temporaryFolder()
        try tiny.writeHuggingFace(to: dir + "/single")
        try tiny.writeHuggingFace(to: dir + "/sharded", sharded: true)
        try tiny.writeHuggingFace(to: dir + "/bf16", dtype: .bf16)
        let single = try LoadedModel.load(path: dir + "/single")
        let sharded = try LoadedModel.load(path: dir + "/sharded")
        let bf16 = try LoadedModel.load(path: dir + "/bf16")
        XCTAssertTrue(single.configuration.tiedEmbeddings)
        XCTAssertEqual(single.model.head, single.model.embedding)
        let ids = [3, 1, 4, 1, 5, 9, 2, 6]
        XCTAssertEqual(single.model.forward(ids), sharded.model.forward(ids))
        let d = maxAbsDifference(single.model.forward(ids), bf16.model.forward(ids))
        XCTAssertGreaterThan(d, 0)
        XCTAssertLessThan(d, 0.5)
    }

    func testLoadListsEveryMissingTensor() throws {
        let tiny = TinyCheckpoint.make(seed: 5)
        let dir = temporaryFolder()
        let dropped: Set = ["model.layers.1.mlp.up_proj.weight", "model.norm.weight", "lm_head.weight"]
        try tiny.writeHuggingFace(to: dir, dropping: dropped)
        XCTAssertThrowsError(try LoadedModel.load(path: dir)) { error in
            guard case let CheckpointError.missingTensors(_, names) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(Set(names), dropped)
            XCTAssertTrue("\(error)".contains("model.layers.1.mlp.up_proj.weight"))
        }
    }

    func testWrongShapeIsNamed() throws {
        var tiny = TinyCheckpoint.make(seed: 6)
        var w = tiny.weights
        w["model.layers.0.self_attn.k_proj.weight"] = Tensor(zeros: [8, 32])
        tiny = TinyCheckpoint(configuration: tiny.configuration, weights: w)
        let dir = temporaryFolder()
        try tiny.writeHuggingFace(to: dir)
        XCTAssertThrowsError(try LoadedModel.load(path: dir)) { error in
            XCTAssertEqual(error as? CheckpointError, .wrongShape(path: dir, tensor: "model.layers.0.self_attn.k_proj.weight",
                                                                  expected: [16, 32], found: [8, 32]))
        }
    }

    func testConfigurationComesFromTheCheckpoint() throws {
        let tiny = TinyCheckpoint.make(seed: 8, layers: 3)
        let dir = temporaryFolder()
        try tiny.writeGGUF(to: dir + "/m.gguf")
        let c = try LlamaConfiguration(gguf: GGUFFile(path: dir + "/m.gguf"))
        XCTAssertEqual(c.layerCount, 3)
        XCTAssertEqual(c.headDimension, 8)
        XCTAssertEqual(c.intermediateSize, 48)
        XCTAssertEqual(c.vocabularySize, 300)
        XCTAssertEqual(c.ropeBase, 10_000)
        XCTAssertEqual(c.rmsNormEpsilon, 1e-5)
    }
}
