import ElderTestSupport
import ElderModel
import XCTest

/// The real SmolLM2 tokenizer against token ids produced by llama.cpp.
final class TokenizerGoldenTests: XCTestCase {
    struct Vector: Decodable { let text: String; let ids: [Int] }

    func testAllGoldenVectorsEncodeAndRoundTrip() throws {
        let gguf = try GGUFFile(path: RealModel.requirePath())
        let tokenizer = try BPETokenizer(gguf: gguf)
        let vectors = try RealModel.golden("tokenizer-golden.json", as: [Vector].self)
        XCTAssertEqual(vectors.count, 120)
        var mismatches = 0
        for v in vectors {
            let ids = tokenizer.encode(v.text)
            if ids != v.ids { mismatches += 1 }
            XCTAssertEqual(ids, v.ids, "encode(\(v.text.debugDescription))")
            XCTAssertEqual(tokenizer.decode(ids), v.text, "decode(encode(\(v.text.debugDescription)))")
        }
        print("tokenizer golden: \(vectors.count - mismatches)/\(vectors.count) vectors exact")
    }

    func testSpecialTokensParseOnlyWhenAsked() throws {
        let tokenizer = try BPETokenizer(gguf: GGUFFile(path: RealModel.requirePath()))
        let imStart = try XCTUnwrap(tokenizer.id(of: "<|im_start|>"))
        XCTAssertEqual(tokenizer.encode("<|im_start|>user", parseSpecial: true).first, imStart)
        XCTAssertFalse(tokenizer.encode("<|im_start|>user").contains(imStart))
        XCTAssertEqual(tokenizer.eosTokenID, 2)
        XCTAssertEqual(tokenizer.vocabularySize, 49152)
    }
}
