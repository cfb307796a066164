import ElderEditing
import XCTest

/// GRACE's codebook rules (Hartvigsen et al. 2023) on hand-placed keys, checked against distances worked
/// out by hand.
final class BaselineGraceCodebookTests: XCTestCase {
    func testFirstKeyIsAddedWithTheInitialRadius() {
        var book = GraceCodebook()
        XCTAssertNil(book.lookup([0, 0]))
        XCTAssertEqual(book.insert(key: [0, 0], label: [1], value: [9], initialRadius: 1), .added(index: 0))
        XCTAssertEqual(book.radii, [1])
        XCTAssertEqual(book.lookup([0.6, 0.8])?.index, 0, "distance exactly 1 is inside (≤)")
        XCTAssertNil(book.lookup([0.6, 0.81]))
    }

    func testFarKeyIsAddedBeyondInitialRadiusPlusNeighbourRadius() {
        var book = GraceCodebook()
        _ = book.insert(key: [0, 0], label: [1], value: [0], initialRadius: 1)
        // Distance 2.5 > ε_init 1 + radius 1: a new key, nobody's radius changes.
        XCTAssertEqual(book.insert(key: [2.5, 0], label: [2], value: [0], initialRadius: 1), .added(index: 1))
        XCTAssertEqual(book.radii, [1, 1])
    }

    func testSameLabelWithinReachExpandsTheNeighbourToCoverTheNewKey() {
        var book = GraceCodebook()
        _ = book.insert(key: [0, 0], label: [7, 8], value: [0], initialRadius: 1)
        // Distance 1.5: within ε_init + radius = 2, same label: radius grows to 1.5, no new key.
        XCTAssertEqual(book.insert(key: [0, 1.5], label: [7, 8], value: [0], initialRadius: 1),
                       .expanded(index: 0, from: 1, to: 1.5))
        XCTAssertEqual(book.count, 1)
        XCTAssertEqual(book.lookup([0, 1.5])?.index, 0)
        // Already inside: reused as it is.
        XCTAssertEqual(book.insert(key: [0, 0.5], label: [7, 8], value: [0], initialRadius: 1), .reused(index: 0))
        XCTAssertEqual(book.radii, [1.5])
    }

    func testDifferentLabelWithinReachSplitsTheRadii() {
        var book = GraceCodebook()
        _ = book.insert(key: [0, 0], label: [1], value: [0], initialRadius: 1)
        // Distance 1.2 (within 1 + 1) with another label: add, neighbour 0.6 − 1e-5, new 0.6.
        XCTAssertEqual(book.insert(key: [1.2, 0], label: [2], value: [5], initialRadius: 1), .split(index: 1, neighbour: 0))
        XCTAssertEqual(book.radii[0], 0.6 - 1e-5, accuracy: 1e-7)
        XCTAssertEqual(book.radii[1], 0.6, accuracy: 1e-7)
        XCTAssertEqual(book.lookup([0.1, 0])?.index, 0)
        XCTAssertEqual(book.lookup([1.1, 0])?.index, 1)
        XCTAssertNil(book.lookup([0.6, 0.5]), "between the two balls: the base model")
        XCTAssertEqual(book.values[1], [5])
    }

    func testRemoveKeepsTheOtherKeysAndTheirRadii() {
        var book = GraceCodebook()
        _ = book.insert(key: [0, 0], label: [1], value: [1], initialRadius: 1)
        _ = book.insert(key: [1.2, 0], label: [2], value: [2], initialRadius: 1)
        _ = book.insert(key: [9, 9], label: [3], value: [3], initialRadius: 1)
        book.remove([1])
        XCTAssertEqual(book.keys, [[0, 0], [9, 9]])
        XCTAssertEqual(book.values, [[1], [3]])
        XCTAssertEqual(book.labels, [[1], [3]])
        XCTAssertEqual(book.radii[0], 0.6 - 1e-5, accuracy: 1e-7, "GRACE's delete leaves split radii as they are")
    }
}
