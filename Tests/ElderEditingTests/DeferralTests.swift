import ElderEditing
import XCTest

final class DeferralTests: XCTestCase {
    func testHammingDistanceByPopcount() {
        var a = AllocationCode(bitCount: 96), b = AllocationCode(bitCount: 96)
        for bit in [0, 5, 63, 64, 95] { a.set(bit) }
        for bit in [0, 6, 64, 90] { b.set(bit) }
        XCTAssertEqual(a.hammingDistance(to: b), 5)   // 5, 63, 95 only in a; 6, 90 only in b
        XCTAssertEqual(a.hammingDistance(to: a), 0)
    }

    func testAllocationCodeHasKBitsPerLayer() {
        let alloc = Allocation(experts: [[3, 1], [0, 2]])
        let code = alloc.code(expertsPerLayer: 4)
        XCTAssertEqual((0..<8).filter(code.contains), [1, 3, 4, 6])
    }

    func testCodebookFindsNearestAndForgetsRemovedOwners() {
        var book = Codebook(bitCount: 24)
        let assigner = AllocationAssigner(layers: 6, experts: 4, topK: 2, policy: .random, seed: 1)
        var live: [Allocation] = []
        for i in 0..<50 {
            let a = assigner.assign(key: "edit-\(i)", live: live)
            live.append(a)
            book.insert(a.code(expertsPerLayer: 4), owner: "edit-\(i)")
        }
        let probe = live[17].code(expertsPerLayer: 4)
        XCTAssertEqual(book.nearest(to: probe)?.distance, 0)
        XCTAssertEqual(book.nearest(to: probe)?.owner, "edit-17")
        book.remove(owner: "edit-17")
        XCTAssertEqual(book.count, 49)
        XCTAssertNotEqual(book.nearest(to: probe)?.owner, "edit-17")
    }

    func testAllocationsAreDeterministicDistinctAndSpreadWhenLeastUsed() {
        let assigner = AllocationAssigner(layers: 6, experts: 16, topK: 2, policy: .leastUsed, seed: 7)
        var live: [Allocation] = []
        for i in 0..<64 { live.append(assigner.assign(key: "e\(i)", live: live)) }
        XCTAssertEqual(Set(live).count, 64, "allocations must be distinct while the code space allows")
        XCTAssertEqual(assigner.assign(key: "e3", live: Array(live[0..<3])), live[3], "same key and history, same allocation")
        // 64 edits × 2 of 16 per layer: least-used spreads them to exactly 8 uses per LoRA.
        for layer in 0..<6 {
            var uses = [Int](repeating: 0, count: 16)
            for a in live { for j in a.experts[layer] { uses[j] += 1 } }
            XCTAssertEqual(Set(uses), [8], "layer \(layer) uses \(uses)")
        }
    }

    func testKeyIndexMarginSeparatesEditsFromBackground() {
        var index = KeyIndex(dimension: 3)
        index.insert([1, 0, 0], owner: "a")
        index.insert([0.9, 0.1, 0], owner: "a")
        index.insert([0, 1, 0], owner: "b")
        index.insert([0, 0, 1], owner: nil)
        let m = index.match([1, 0.05, 0])
        XCTAssertEqual(m.owner, "a")
        XCTAssertGreaterThan(m.similarity, 0.99)
        XCTAssertEqual(m.runnerUp, Float(0.05 / (1.0 + 0.0025).squareRoot()), accuracy: 1e-5)  // "b"
        let bg = index.match([0, 0.1, 1])
        XCTAssertEqual(bg.owner, "b")
        XCTAssertLessThan(bg.margin, 0, "a background-like query must not stand out")
        index.remove(owner: "a")
        XCTAssertEqual(index.editKeyCount, 1)
    }

    func testCodebookSearchOf100000CodesIsFast() {
        var book = Codebook(bitCount: 96)
        let assigner = AllocationAssigner(layers: 6, experts: 16, topK: 2, policy: .random, seed: 3)
        for i in 0..<100_000 { book.insert(assigner.assign(key: "k\(i)", live: []).code(expertsPerLayer: 16), owner: "k\(i)") }
        let probe = assigner.assign(key: "k77777", live: []).code(expertsPerLayer: 16)
        let clock = ContinuousClock()
        var result: (distance: Int, owner: String)?
        let elapsed = clock.measure { for _ in 0..<10 { result = book.nearest(to: probe) } }
        XCTAssertEqual(result?.distance, 0)
        XCTAssertEqual(book.nearest(to: probe).map { book.owners.firstIndex(of: $0.owner)! <= 77777 }, true)
        print("codebook: nearest of 100,000 codes in \(elapsed / 10)")
    }
}
