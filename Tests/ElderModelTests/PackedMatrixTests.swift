import ElderTestSupport
import ElderModel
import ElderTensor
import Foundation
import XCTest

/// The quantized-block decode kernels against the float32 product of the dequantized matrix.
final class PackedMatrixTests: XCTestCase {
    func testPackedProductsMatchDequantizedFloat32() throws {
        var rng = SeededRandom(21)
        let rows = 40, columns = 96, blocks = rows * columns / 32
        var w = GGUFWriter()
        for (name, type, blockBytes) in [("q4_0", UInt32(2), 18), ("q4_1", 3, 20), ("q8_0", 8, 34)] {
            var bytes = Data()
            for _ in 0..<blocks {
                bytes.append(le(Float16(rng.uniform() * 0.1 + 0.01).bitPattern))
                if type == 3 { bytes.append(le(Float16(rng.normal() * 0.1).bitPattern)) }
                for _ in 0..<(blockBytes - (type == 3 ? 4 : 2)) { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            }
            w.rawTensor(name, dims: [UInt64(columns), UInt64(rows)], type: type, bytes: bytes)
        }
        let path = temporaryFolder() + "/p.gguf"
        try w.data().write(to: URL(fileURLWithPath: path))
        let f = try GGUFFile(path: path)
        for name in ["q4_0", "q4_1", "q8_0"] {
            let dense = try f.tensor(name)
            let packed = try XCTUnwrap(f.packedMatrix(name))
            for t in 1...2 {
                let x = Tensor(shape: [t, columns], scalars: (0..<t * columns).map { _ in rng.normal() })
                let expected = matmul(x, dense, transposeB: true)
                let got = packed.apply(x)
                let scale = expected.scalars.map(abs).max()!
                XCTAssertLessThan(maxAbsDifference(got, expected), 1e-5 * max(scale, 1), name)
                XCTAssertEqual(linear(x, dense, packed: packed).shape, [t, rows])
            }
        }
        XCTAssertNil(try f.packedMatrix("missing"))
    }

    func testRealModelDecodesTheSameWithAndWithoutPackedWeights() throws {
        let loaded = try RealModel.load()
        XCTAssertTrue(loaded.model.usesPackedDecoding)
        let plain = loaded.model.withoutPackedDecoding()
        XCTAssertFalse(plain.usesPackedDecoding)
        let ids = loaded.tokenizer.encode("The chemical symbol of gold is")
        let a = KVCache(configuration: loaded.configuration), b = KVCache(configuration: loaded.configuration)
        var worst: Float = 0
        for id in ids {
            worst = max(worst, maxAbsDifference(loaded.model.forward([id], cache: a), plain.forward([id], cache: b)))
        }
        print("packed vs float32 decoding: max |logit diff| \(worst)")
        XCTAssertLessThan(worst, 1e-3)
        // Setting a weight drops its packed copy, so edits to weights are never ignored.
        var edited = loaded.model
        edited.blocks[0].mlp.down = Tensor(zeros: [576, 1536])
        let v = Tensor(repeating: 1, shape: [1, 1536])
        XCTAssertEqual(edited.blocks[0].mlp.project(v), Tensor(zeros: [1, 576]))
        XCTAssertNotEqual(loaded.model.blocks[0].mlp.project(v), Tensor(zeros: [1, 576]))
        XCTAssertTrue(edited.usesPackedDecoding)  // other layers keep theirs
    }
}
