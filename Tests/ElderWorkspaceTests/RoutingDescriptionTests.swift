import Elder
import ElderEditing
import Foundation
import XCTest

/// `elder ask --explain` (and `elder serve`'s routing extension) name the sibling edits the sibling margin
/// left out, so a person sees why the CFO question fired the CFO edit although the CEO edit was as near.
final class RoutingDescriptionTests: XCTestCase {
    func routing(_ json: String) throws -> RoutingExplanation {
        try JSONDecoder().decode(RoutingExplanation.self, from: Data(json.utf8))
    }

    func testSiblingEditsAreNamed() throws {
        let fired = try routing("""
            {"fired": true, "matchedEdit": "acme-cfo", "similarity": 0.91, "margin": 0.2, "requiredMargin": 0.05,
             "otherEditSimilarity": 0.71, "minimumSimilarity": 0.5, "siblingEdits": ["acme-ceo", "acme-hq"], "layers": []}
            """)
        let lines = RoutingDescription.lines(fired)
        XCTAssertEqual(lines.first, "routing: adapter fired — matched edit acme-cfo")
        XCTAssertTrue(lines.contains("  sibling edits (same subject, left out of the lead): acme-ceo, acme-hq"), "\(lines)")

        let alone = try routing("""
            {"fired": true, "matchedEdit": "acme-cfo", "similarity": 0.91, "siblingEdits": [], "layers": []}
            """)
        XCTAssertTrue(RoutingDescription.lines(alone).contains("  sibling edits (same subject): none"))

        // Without the sibling margin nothing is said about siblings.
        let plain = try routing("""
            {"fired": false, "matchedEdit": "acme-cfo", "similarity": 0.4, "layers": []}
            """)
        XCTAssertFalse(RoutingDescription.lines(plain).joined().contains("sibling"))
    }
}
