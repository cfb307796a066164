import ElderTestSupport
import ElderModel
import ElderTensor
import Foundation
import XCTest

/// GGUF metadata of every type, both versions, alignment, and the dequantization formulas.
final class GGUFTests: XCTestCase {
    static let everyType: [(String, GGUFValue)] = [
        ("u8", .uint8(200)), ("i8", .int8(-100)), ("u16", .uint16(60_000)), ("i16", .int16(-30_000)),
        ("u32", .uint32(4_000_000_000)), ("i32", .int32(-2_000_000_000)), ("f32", .float32(1.5)), ("bool", .bool(true)),
        ("str", .string("héllo")), ("arr", .array([.int32(1), .int32(-2)])), ("u64", .uint64(1 << 40)),
        ("i64", .int64(-(1 << 40))), ("f64", .float64(-2.25)),
        ("nested", .array([.array([.string("a")]), .array([.string("b"), .string("c")])])), ("empty", .string("")),
    ]

    func testMetadataOfEveryTypeInBothVersions() throws {
        for version: UInt32 in [2, 3] {
            var w = GGUFWriter(version: version, alignment: 64)
            for (k, v) in Self.everyType { w.metadata(k, v) }
            w.metadata("general.alignment", .uint32(64))
            w.tensor("a", Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
            w.tensor("b", Tensor(shape: [5], scalars: [9, 8, 7, 6, 5]))
            let path = temporaryFolder() + "/m.gguf"
            try w.data().write(to: URL(fileURLWithPath: path))
            let f = try GGUFFile(path: path)
            XCTAssertEqual(f.version, version)
            XCTAssertEqual(f.alignment, 64)
            for (k, v) in Self.everyType { XCTAssertEqual(f.metadata[k], v, k) }
            XCTAssertEqual(f.tensors.map(\.name), ["a", "b"])
            XCTAssertEqual(f.info("a")?.dimensions, [3, 2])
            XCTAssertEqual(try f.tensor("a"), Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
            XCTAssertEqual(try f.tensor("b").scalars, [9, 8, 7, 6, 5])
            XCTAssertEqual(f.info("b")!.fileOffset % 64, 0)
        }
    }

    /// One block per encoding, built by hand; expected values from the formulas in ggml-quants.c.
    func testDequantizationFormulas() throws {
        let d = Float16(0.5), m = Float16(-1.25)
        var q8 = le(d.bitPattern), q4_0 = le(d.bitPattern), q4_1 = le(d.bitPattern) + le(m.bitPattern)
        var expect8: [Float] = [], expect40 = [Float](repeating: 0, count: 32), expect41 = expect40
        for j in 0..<32 {
            let q = Int8(j * 7 % 256 - 128)
            q8.append(UInt8(bitPattern: q))
            expect8.append(0.5 * Float(q))
        }
        for j in 0..<16 {
            let lo = UInt8(j), hi = UInt8(15 - j)
            q4_0.append(lo | hi << 4)
            q4_1.append(lo | hi << 4)
            expect40[j] = 0.5 * Float(Int(lo) - 8); expect40[j + 16] = 0.5 * Float(Int(hi) - 8)
            expect41[j] = 0.5 * Float(lo) - 1.25; expect41[j + 16] = 0.5 * Float(hi) - 1.25
        }
        let halfs: [Float] = [1, -2.5, 65504, 6e-5]
        var f16 = Data(), bf16 = Data()
        for x in halfs {
            f16.append(le(Float16(x).bitPattern))
            bf16.append(le(UInt16(x.bitPattern >> 16)))
        }
        var w = GGUFWriter()
        w.rawTensor("q8", dims: [32], type: 8, bytes: q8)
        w.rawTensor("q4_0", dims: [32], type: 2, bytes: q4_0)
        w.rawTensor("q4_1", dims: [32], type: 3, bytes: q4_1)
        w.rawTensor("f16", dims: [4], type: 1, bytes: f16)
        w.rawTensor("bf16", dims: [4], type: 30, bytes: bf16)
        w.rawTensor("iq2", dims: [256], type: 16, bytes: Data(count: 66))
        let path = temporaryFolder() + "/q.gguf"
        try w.data().write(to: URL(fileURLWithPath: path))
        let f = try GGUFFile(path: path)
        XCTAssertEqual(try f.tensor("q8").scalars, expect8)
        XCTAssertEqual(try f.tensor("q4_0").scalars, expect40)
        XCTAssertEqual(try f.tensor("q4_1").scalars, expect41)
        XCTAssertEqual(try f.tensor("f16").scalars, halfs.map { Float(Float16($0)) })
        XCTAssertEqual(try f.tensor("bf16").scalars, halfs.map { Float(bitPattern: $0.bitPattern & 0xFFFF_0000) })
        XCTAssertThrowsError(try f.tensor("iq2")) { error in
            XCTAssertEqual(error as? CheckpointError, .unsupportedTensorType(path: path, tensor: "iq2", type: "IQ2_XXS"))
            XCTAssertTrue("\(error)".contains("iq2") && "\(error)".contains("IQ2_XXS"))
        }
    }

    func testRealModelMetadataAndEncodings() throws {
        let f = try GGUFFile(path: RealModel.requirePath())
        XCTAssertEqual(f.version, 3)
        XCTAssertEqual(f.tensors.count, 272)
        XCTAssertEqual(f.info("token_embd.weight")?.type, .q8_0)
        XCTAssertEqual(f.info("blk.0.attn_q.weight")?.type, .q4_1)
        XCTAssertEqual(f.info("token_embd.weight")?.shape, [49152, 576])
        let c = try LlamaConfiguration(gguf: f)
        XCTAssertEqual(c, LlamaConfiguration(vocabularySize: 49152, hiddenSize: 576, intermediateSize: 1536, layerCount: 30,
                                             headCount: 9, kvHeadCount: 3, headDimension: 64, rmsNormEpsilon: 1e-5,
                                             ropeBase: 100_000, ropeStyle: .adjacentPairs, tiedEmbeddings: true,
                                             contextLength: 8192))
    }
}
