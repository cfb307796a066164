import ElderTestSupport
import ElderModel
import Foundation
import XCTest

/// The pre-tokenizer split and BPE on a tiny vocabulary (no real model needed).
final class TokenizerTests: XCTestCase {
    func testSmolLMPreTokenizerSplit() {
        let split = { (s: String) in PreTokenizer(individualDigits: true).split(s).map(String.init) }
        XCTAssertEqual(split("it's   spaced  out "), ["it", "'s", "  ", " spaced", " ", " out", " "])
        XCTAssertEqual(split("numbers 12345 and 3.14"), ["numbers", " ", "1", "2", "3", "4", "5", " and", " ", "3", ".", "1", "4"])
        XCTAssertEqual(split("  leading"), [" ", " leading"])
        XCTAssertEqual(split("tabs\tand\nnew"), ["tabs", "\t", "and", "\n", "new"])
        XCTAssertEqual(split("don't WE'LL"), ["don", "'t", " WE", "'", "LL"])
        XCTAssertEqual(split("x!!?  y"), ["x", "!!?", " ", " y"])
        XCTAssertEqual(split(""), [])
        XCTAssertEqual(PreTokenizer(individualDigits: false).split("in 2024").map(String.init), ["in", " 2024"])
    }

    func tiny() throws -> BPETokenizer {
        let path = temporaryFolder() + "/tokenizer.json"
        try TinyTokenizer.json().write(to: URL(fileURLWithPath: path))
        return try BPETokenizer(tokenizerJSON: path, bosTokenID: 256, eosTokenID: 257)
    }

    func testMergesApplyLowestRankFirst() throws {
        let t = try tiny()
        // " the": Ġ t -> Ġt, h e -> he, Ġt he -> Ġthe.
        XCTAssertEqual(t.encode(" the"), [t.id(of: "Ġthe")!])
        XCTAssertEqual(t.encode(" and"), [t.id(of: "Ġand")!])
        XCTAssertEqual(t.encode("in"), [t.id(of: "in")!])
        XCTAssertEqual(t.encode("hi"), [t.id(of: "h")!, t.id(of: "i")!])
        XCTAssertEqual(t.vocabularySize, 300)
    }

    func testRoundTripOfAnyText() throws {
        let t = try tiny()
        for text in ["", " the cat and the hat", "naïve 日本 😀", "a\u{0}b\u{7}", "   \n\n", "x\u{a0}y"] {
            XCTAssertEqual(t.decode(t.encode(text)), text, text.debugDescription)
        }
    }

    func testSpecialTokens() throws {
        let t = try tiny()
        XCTAssertEqual(t.encode("a<|im_end|>b", parseSpecial: true), [t.id(of: "a")!, 257, t.id(of: "b")!])
        XCTAssertEqual(t.encode("a<|im_end|>b").count, 12)
        XCTAssertEqual(t.decode([t.id(of: "a")!, 257]), "a")
        XCTAssertEqual(t.decode([t.id(of: "a")!, 257], includeSpecial: true), "a<|im_end|>")
        XCTAssertEqual(t.eosTokenID, 257)
    }
}
