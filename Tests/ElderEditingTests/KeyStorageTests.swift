import ElderEditing
import ElderStable
import ElderTensor
import XCTest

/// The deferral's 16-bit keys (issue #4): close to float32, exact when read back, stored once, and giving
/// the same decisions as the float32 search they replaced.
final class KeyStorageTests: XCTestCase {
    func randomKeys(_ n: Int, width: Int, seed: UInt64) -> [[Float]] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in (0..<width).map { _ in rng.nextUnitFloat() * 2 - 1 } }
    }

    /// The float32 cosine similarity, written out (the reference for the quantized search).
    func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) { dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
        return Float(dot / (na * nb).squareRoot())
    }

    func testQuantizedValuesAreWithinTwoToTheMinus15OfTheLargest() {
        let keys = randomKeys(50, width: 576, seed: 1).map { unitLength($0) } + [[Float](repeating: 0, count: 576)]
        let q = QuantizedKeys(keys)
        XCTAssertEqual(q.count, 51)
        var worst: Float = 0
        for (i, key) in keys.enumerated() {
            let largest = key.map(abs).max()!
            for (x, y) in zip(key, q.key(i)) {
                XCTAssertLessThanOrEqual(abs(x - y), largest / 32768, "key \(i)")
                worst = max(worst, abs(x - y))
            }
        }
        XCTAssertEqual(q.key(50), [Float](repeating: 0, count: 576), "a zero key stays zero")
        XCTAssertGreaterThan(worst, 0, "the keys were quantized")
        print("largest quantization error of a unit key's value: \(worst)")
    }

    func testQuantizingTheReadBackKeysIsExact() {
        let raw = randomKeys(20, width: 33, seed: 2).enumerated().map { i, k in k.map { $0 * Float(1 << i) * 1e-3 } }
            + [[Float](repeating: 1e-40, count: 33), [Float](repeating: -3e38, count: 33)]
        let q = QuantizedKeys(raw)
        let again = QuantizedKeys(q.keys)
        XCTAssertEqual(again, q)
        XCTAssertEqual(again.keys.flatMap { $0 }.map(\.bitPattern), q.keys.flatMap { $0 }.map(\.bitPattern))
    }

    func testSimilarityIsWithin1e4OfFloat32() {
        let keys = randomKeys(300, width: 576, seed: 3)
        var index = KeyIndex(dimension: 576)
        for k in keys { index.insert(k, owner: "e") }
        var worst: Float = 0
        for query in randomKeys(20, width: 576, seed: 4) {
            for (k, s) in zip(keys, index.similarities(query)) { worst = max(worst, abs(s - cosine(k, query))) }
        }
        XCTAssertLessThan(worst, 1e-4)
        print("largest |similarity − float32 similarity|: \(worst)")
    }

    /// Clustered keys (edits with near paraphrases, as real prompts are): the best edit and whether the
    /// margin rule fires match the float32 reference for every query whose margin is not within 1e-3 of a tie.
    func testMatchDecisionsEqualFloat32AwayFromTies() {
        let width = 48, edits = 100
        let centres = randomKeys(edits, width: width, seed: 5)
        var rng = SplitMix64(seed: 6)
        func near(_ c: [Float], _ spread: Float) -> [Float] { c.map { $0 + spread * (rng.nextUnitFloat() * 2 - 1) } }
        var index = KeyIndex(dimension: width)
        var stored: [(key: [Float], owner: Int)] = []
        for (e, c) in centres.enumerated() {
            for _ in 0..<2 { let k = near(c, 0.3); stored.append((k, e)); index.insert(k, owner: "\(e)") }
        }
        var compared = 0
        for i in 0..<300 {
            let query = near(centres[i % edits], 0.3 + Float(i % 5) * 0.2)
            var bestPerEdit = [Float](repeating: -2, count: edits)
            for (k, e) in stored { bestPerEdit[e] = max(bestPerEdit[e], cosine(k, query)) }
            let order = bestPerEdit.indices.sorted { bestPerEdit[$0] > bestPerEdit[$1] }
            let margin = bestPerEdit[order[0]] - bestPerEdit[order[1]]
            guard margin > 1e-3, abs(margin - 0.05) > 1e-3 else { continue }
            compared += 1
            let m = index.match(query)
            XCTAssertEqual(m.owner, "\(order[0])", "query \(i)")
            XCTAssertEqual(m.fires(margin: 0.05, referenceMargin: -2, minimum: -1), margin >= 0.05, "query \(i)")
        }
        XCTAssertGreaterThan(compared, 250)
    }

    func testKeyMemoryIsTwoBytesAValuePlusAScaleAndNorm() {
        let q = QuantizedKeys(randomKeys(2, width: 576, seed: 7))
        XCTAssertEqual(q.byteCount, 2 * 576 * 2 + 2 * 4)
        var index = KeyIndex(dimension: 576)
        index.insert(q, owner: "a")
        index.insert(randomKeys(1, width: 576, seed: 8)[0], owner: nil)
        XCTAssertEqual(index.keyBytes, 3 * (576 * 2 + 4 + 4))
        XCTAssertEqual(index.count, 3)
        XCTAssertEqual(index.editKeyCount, 2)
    }

    func testEntryKeysAreStoredOnceAndForgettingRemovesThem() throws {
        let keys = randomKeys(2, width: 16, seed: 9)
        let entry = EditMemory.Entry(id: "a", allocation: Allocation(experts: [[0]]), keys: keys, codes: [], rows: [], promptLengths: [])
        XCTAssertEqual(entry.storedKeys, QuantizedKeys(keys))
        let other = EditMemory.Entry(id: "b", allocation: Allocation(experts: [[1]]), keys: randomKeys(1, width: 16, seed: 10),
                                     codes: [], rows: [], promptLengths: [])
        var index = KeyIndex(dimension: 16)
        index.insert(entry.storedKeys, owner: "a")
        index.insert(other.storedKeys, owner: "b")
        XCTAssertEqual(index.match(keys[0]).owner, "a")
        XCTAssertEqual(index.match(keys[0]).similarity, 1, accuracy: 1e-6)
        index.remove(owner: "a")
        XCTAssertEqual(index.owners, ["b"])
        XCTAssertEqual(index.match(keys[0]).owner, "b")
        // The entry's JSON form is the float keys it had before quantization was added; it reads back equal.
        let back = try JSONDecoder().decode(EditMemory.Entry.self, from: JSONEncoder().encode(entry))
        XCTAssertEqual(back, entry)
    }

    func testCodecReadsFloat32KeysIntoTheSameQuantizedMemory() throws {
        var memory = EditMemory()
        memory.backgroundKeys = randomKeys(3, width: 8, seed: 11)
        memory.entries = [EditMemory.Entry(id: "a", allocation: Allocation(experts: [[0]]), keys: randomKeys(2, width: 8, seed: 12),
                                           codes: [], rows: [[1, 2]], promptLengths: [1])]
        let files = try MemoryCodec.encode(memory, layout: .onePiece)
        XCTAssertEqual(files[MemoryCodec.vectorsName]?.count, 12 + 4 * (3 + 2) * 8, "vectors.bin keeps float32 (format 1)")
        let back = try MemoryCodec.decode(files)
        XCTAssertEqual(back, memory)
        XCTAssertEqual(back.entries[0].storedKeys, memory.entries[0].storedKeys)
    }

    func testTiesGoToTheLaterKey() {
        var index = KeyIndex(dimension: 3)
        index.insert([1, 2, 3], owner: "old")
        index.insert([1, 2, 3], owner: "new")
        XCTAssertEqual(index.match([1, 2, 3.5]).owner, "new")
        XCTAssertEqual(index.match([1, 2, 3.5]).secondEdit, index.match([1, 2, 3.5]).similarity)
    }
}
