@testable import ElderEditing
import XCTest

/// Siblings told from shared rare tokens, and the similarity margin taken over the non-siblings only.
final class SiblingMarginTests: XCTestCase {
    func testEditsSharingMostOfTheirRareTokensAreSiblingsAndTemplateWordsDoNotCount() {
        // Tokens 1-4 are template words (in the background); 50 is a subject's name in a and b; 60 only in c.
        // d shares 50 with a and b but has two rare tokens of its own (another person with the same first name).
        var prompts: [(edit: String, tokens: [Int])] = [("a", [1, 50, 2]), ("b", [3, 50, 4]), ("c", [1, 60, 2]),
                                                        ("d", [1, 50, 80, 81, 2])]
        // 150 more edits (so a token may be in 3 prompts and still be rare), 5 of them sharing token 70: too
        // common among the live edits to name one subject.
        for i in 0..<150 { prompts.append(("x\(i)", [1, 1000 + i] + (i < 5 ? [70] : []))) }
        let s = SharedNameSiblings(prompts: prompts, background: [1, 2, 3, 4])
        XCTAssertEqual(s.siblings(of: "a"), ["b"])
        XCTAssertEqual(s.siblings(of: "b"), ["a"])
        XCTAssertEqual(s.siblings(of: "c"), [])
        XCTAssertEqual(s.siblings(of: "d"), [], "one shared rare token of three is not the same subject")
        XCTAssertEqual(s.siblings(of: "x0"), [], "a token in 5 of 154 prompts is not a name")
        XCTAssertEqual(s.siblings(of: "unknown"), [])
    }

    func testTheMarginLeavesSiblingsOut() {
        var index = KeyIndex(dimension: 3)
        index.insert([1, 0, 0], owner: "a")
        index.insert([0.95, 0.31, 0], owner: "b")
        index.insert([0, 0, 1], owner: "c")
        index.insert([0, 1, 0], owner: nil)
        let query: [Float] = [1, 0.1, 0]
        let plain = index.match(query)
        XCTAssertEqual(plain.owner, "a")
        XCTAssertGreaterThan(plain.secondEdit, 0.9, "b competes")
        XCTAssertFalse(plain.fires(margin: 0.2, referenceMargin: 0.1, minimum: 0.6))
        let grouped = index.match(query, siblings: { $0 == "a" ? ["b"] : [] })
        XCTAssertEqual(grouped.owner, "a")
        XCTAssertEqual(grouped.similarity, plain.similarity)
        XCTAssertEqual(grouped.secondEdit, 0, accuracy: 1e-3, "c is the nearest non-sibling")
        XCTAssertEqual(grouped.background, plain.background)
        XCTAssertTrue(grouped.fires(margin: 0.2, referenceMargin: 0.1, minimum: 0.6))
        // Siblings of another edit change nothing.
        XCTAssertEqual(index.match(query, siblings: { $0 == "c" ? ["b"] : [] }), plain)
    }
}
