import ElderTestSupport
import ElderModel
import ElderTensor
import Foundation
import XCTest

/// The 5-bit and K-quant block formats against the values the `gguf` Python package decodes from the
/// same bytes (Tests/Fixtures/ggml-blocks/README.md).
final class BlockFormatTests: XCTestCase {
    struct Golden: Decodable {
        struct Blocks: Decodable { let hex: String; let values: [Float] }
        let blocks: [String: Blocks]
    }

    static let types: [(name: String, type: GGMLType)] = [
        ("Q5_0", .q5_0), ("Q5_1", .q5_1), ("Q2_K", .q2_K), ("Q3_K", .q3_K), ("Q4_K", .q4_K), ("Q5_K", .q5_K), ("Q6_K", .q6_K),
    ]

    static func golden() throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: RealModel.packageFile("Tests/Fixtures/ggml-blocks/blocks-golden.json")))
    }

    static func bytes(hex: String) -> Data {
        var out = Data(), chars = Array(hex.utf8)
        func nibble(_ c: UInt8) -> UInt8 { c >= 97 ? c - 87 : c - 48 }
        for i in stride(from: 0, to: chars.count, by: 2) { out.append(nibble(chars[i]) << 4 | nibble(chars[i + 1])) }
        return out
    }

    func testEveryFormatDecodesAsTheGGUFPackage() throws {
        let golden = try Self.golden()
        var w = GGUFWriter()
        for (name, type) in Self.types {
            let g = try XCTUnwrap(golden.blocks[name], name)
            w.rawTensor(name, dims: [UInt64(g.values.count)], type: type.rawValue, bytes: Self.bytes(hex: g.hex))
        }
        let dir = temporaryFolder()
        try w.data().write(to: URL(fileURLWithPath: dir + "/blocks.gguf"))
        let file = try GGUFFile(path: dir + "/blocks.gguf")
        for (name, _) in Self.types {
            let expected = golden.blocks[name]!.values
            let got = try file.tensor(name).scalars
            XCTAssertEqual(got.count, expected.count, name)
            var worst: Float = 0
            for (a, b) in zip(got, expected) { worst = max(worst, abs(a - b) / max(1, abs(b))) }
            // Both sides compute d·scale·q in float32; only the order of two multiplications may differ.
            XCTAssertLessThanOrEqual(worst, 1e-6, "\(name): worst relative difference \(worst)")
        }
    }

    func testARowThatIsNotWholeSuperBlocksIsRefused() throws {
        var w = GGUFWriter()
        w.rawTensor("bad", dims: [128, 2], type: GGMLType.q4_K.rawValue, bytes: Data(count: 144))
        let dir = temporaryFolder()
        try w.data().write(to: URL(fileURLWithPath: dir + "/bad.gguf"))
        XCTAssertThrowsError(try GGUFFile(path: dir + "/bad.gguf")) { error in
            XCTAssertTrue("\(error)".contains("not a multiple of Q4_K's block size 256"), "\(error)")
        }
    }
}
