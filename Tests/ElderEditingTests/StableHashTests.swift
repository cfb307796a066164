import ElderStable
import XCTest
@testable import ElderEditing

/// The stable 64-bit string hash (FNV-1a) names codebook files, edit ids and edit-set digests, so its values
/// must never change: checked against the published FNV-1a test vectors and a Python computation.
final class StableHashTests: XCTestCase {
    func testFNV1aVectorsAndPaddedHex() {
        XCTAssertEqual(stableHash(""), 0xCBF2_9CE4_8422_2325)
        XCTAssertEqual(stableHash("a"), 0xAF63_DC4C_8601_EC8C)
        XCTAssertEqual(stableHash("foobar"), 0x8594_4171_F739_67E8)
        XCTAssertEqual(hex16(stableHash("The CEO of Acme is\u{0} Jane Doe")), "8d1eabb97d442838")
        XCTAssertEqual(hex16(0xAB), "00000000000000ab")
        XCTAssertEqual(hex16(.max), "ffffffffffffffff")
        XCTAssertEqual(MemoryCodec.editFileName("a"), "edit-af63dc4c8601ec8c")
    }
}
