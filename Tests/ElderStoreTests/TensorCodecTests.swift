import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

final class TensorCodecTests: XCTestCase {
    let zstd = ZstdContext()

    /// Every width (0, 2, 4, 8, 16, 32 bits) and a common step round-trip exactly.
    func testPackRoundTripsEveryWidth() throws {
        var random = SeededRandom(seed: 3)
        var tensors: [String: GridTensor] = [:]
        let ranges: [Int32] = [0, 1, 7, 120, 30_000, Grid.maxUnits]
        for (k, range) in ranges.enumerated() {
            let units = (0..<(37 * (k + 1))).map { _ in range == 0 ? 0 : Int32(Int64(random.next() % UInt64(2 * Int64(range) + 1)) - Int64(range)) }
            tensors["t\(k)"] = GridTensor(shape: [37, k + 1], units: units)
        }
        tensors["stepped"] = GridTensor(shape: [5], units: [3072, -1536, 0, 4608, 1536])
        tensors["odd"] = GridTensor(shape: [1, 3, 1], units: [1, -1, 0])
        let blob = try TensorCodec.encode(tensors, zstd: zstd)
        XCTAssertEqual(try TensorCodec.decode(blob, what: "test", zstd: zstd), tensors)
    }

    func testDeltaOfSmallStepsIsCompact() throws {
        var random = SeededRandom(seed: 5)
        let g = random.gaussians(100_000, scale: 1)
        let units = g.map { Int32(($0 / 1.46).rounded()) * 1536 }
        let blob = try TensorCodec.encode(["d": GridTensor(shape: [100_000], units: units)], zstd: zstd)
        let bitsPerValue = Double(blob.count * 8) / 100_000
        // Entropy of a gaussian quantized with step 1.46σ is 1.62 bits; allow 10 % for zstd.
        XCTAssertLessThan(bitsPerValue, 1.62 * 1.1)
        XCTAssertEqual(try TensorCodec.decode(blob, what: "d", zstd: zstd)["d"]?.units, units)
    }

    func testCorruptPacksAreRefusedBeforeAllocating() throws {
        let good = try TensorCodec.encode(["a": GridTensor(shape: [4, 4], units: (0..<16).map { Int32($0) })], zstd: zstd)
        for cut in [0, 3, 8, 12, good.count - 1] {
            XCTAssertThrowsError(try TensorCodec.decode(Array(good[0..<cut]), what: "cut", zstd: zstd), "cut at \(cut)")
        }
        // A header declaring a huge tensor: refused from the header alone.
        var huge = Array("ELDP".utf8) + [1, 0, 0, 0] + TensorCodec.le(1)
        huge += TensorCodec.le16(1) + Array("h".utf8) + [2, 32] + TensorCodec.le(1 << 20) + TensorCodec.le(1 << 20)
        huge += TensorCodec.le(1) + TensorCodec.le(0)
        XCTAssertThrowsError(try TensorCodec.decode(huge, what: "huge", zstd: zstd)) { error in
            XCTAssertTrue("\(error)".contains("too large"), "\(error)")
        }
        // A name that would escape a folder.
        var escape = Array("ELDP".utf8) + [1, 0, 0, 0] + TensorCodec.le(1)
        escape += TensorCodec.le16(5) + Array("../up".utf8) + [1, 0] + TensorCodec.le(1) + TensorCodec.le(1) + TensorCodec.le(0)
        XCTAssertThrowsError(try TensorCodec.decode(escape, what: "escape", zstd: zstd))
        // Flipped payload byte: zstd or the size check catches it.
        var flipped = good
        flipped[flipped.count - 3] ^= 0xff
        XCTAssertThrowsError(try TensorCodec.decode(flipped, what: "flipped", zstd: zstd))
    }

    func testGridIsExactAndBounded() {
        let grid = Grid(log2Step: -20)
        XCTAssertEqual(grid.exactUnits(0.5), 1 << 19)
        XCTAssertNil(grid.exactUnits(0.1))
        XCTAssertNil(grid.exactUnits(16))
        XCTAssertNil(grid.exactUnits(.nan))
        XCTAssertEqual(grid.value(grid.exactUnits(grid.maxValue)!), grid.maxValue)
        for u: Int32 in [1, -1, 12345, Grid.maxUnits, -Grid.maxUnits] { XCTAssertEqual(grid.exactUnits(grid.value(u)), u) }
    }

    func testNamesRejectTraversalAndJunk() {
        for bad in ["", ".", "..", "../a", "a/b", "a..b", ".hidden", "-x", "a b", "é", String(repeating: "a", count: 129)] {
            XCTAssertFalse(Names.isValid(bad), bad)
        }
        for good in ["L0.lora3.A", "edit-000042", "router_w", "e1"] { XCTAssertTrue(Names.isValid(good), good) }
    }

    /// The state hash against an independent serialization hashed by `sha256sum`.
    func testStateHashMatchesIndependentSerialization() throws {
        let state = StoredState(tensors: ["b": StoredTensor(shape: [2], values: [1.5, -2]), "a": StoredTensor(shape: [1, 1], values: [0.25])],
                                 routers: ["r": StoredTensor(shape: [1], values: [3])])
        func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func f(_ v: [Float]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } } }
        var bytes = Array("elder-state-v1".utf8) + [0]
        bytes += [UInt8(ascii: "A")] + u32(2)
        bytes += u32(1) + Array("a".utf8) + u32(2) + u64(1) + u64(1) + f([0.25])
        bytes += u32(1) + Array("b".utf8) + u32(1) + u64(2) + f([1.5, -2])
        bytes += [UInt8(ascii: "R")] + u32(1)
        bytes += u32(1) + Array("r".utf8) + u32(1) + u64(1) + f([3])
        let dir = temporaryFolder("hash")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/state.bin"))
        let expected = try ElderProcess.run([dir + "/state.bin"], in: dir, executable: "/usr/bin/sha256sum").stdout.prefix(64)
        XCTAssertEqual(state.sha256, String(expected))
    }

    /// The hash of a state in grid units (converted a slice at a time, never as a whole float copy) is the hash
    /// of its float values, whose serialization the test above checks: tensors longer than a slice, the
    /// extreme units, both groups, an empty router group.
    func testStateHashOfGridUnitsIsTheHashOfTheirFloats() throws {
        let grid = Grid(log2Step: -20)
        var random = SeededRandom(seed: 21)
        func tensor(_ shape: [Int]) -> GridTensor {
            let count = shape.reduce(1, *)
            var units = (0..<count).map { _ in Int32(Int64(random.next() % (2 * UInt64(Grid.maxUnits) + 1)) - Int64(Grid.maxUnits)) }
            units[0] = Grid.maxUnits
            units[count - 1] = -Grid.maxUnits
            return GridTensor(shape: shape, units: units)
        }
        let state = GridState(tensors: ["L0.lora0.A": tensor([8, 6001]), "L0.lora0.B": tensor([3]), "b": tensor([2, 2, 2])],
                              routers: ["L0.router.W": tensor([40_000]), "L0.router.b": tensor([1])])
        XCTAssertEqual(StateHash.compute(state, on: grid), StateHash.compute(state.floats(on: grid)))
        let adapterOnly = GridState(tensors: state.tensors)
        XCTAssertEqual(StateHash.compute(adapterOnly, on: Grid(log2Step: 3)), StateHash.compute(adapterOnly.floats(on: Grid(log2Step: 3))))
        XCTAssertNotEqual(StateHash.compute(adapterOnly, on: grid), StateHash.compute(state, on: grid))
    }

    func testCompactionPutsValuesOnTheGridAndCarriesTheRest() throws {
        let grid = Grid(log2Step: -20)
        var random = SeededRandom(seed: 9)
        let parent = Compactor.snap(StoredState(tensors: ["w": StoredTensor(shape: [1000], values: random.gaussians(1000, scale: 0.1))]), to: grid)
        var trainedValues = parent.tensors["w"]!.values
        let step = random.gaussians(1000, scale: 1e-3)
        for i in 0..<1000 { trainedValues[i] += step[i] }
        let trained = StoredState(tensors: ["w": StoredTensor(shape: [1000], values: trainedValues)])
        var carry = CompactionCarry()
        let committed = try Compactor.compact(trained: trained, parent: parent, grid: grid, options: CompactionOptions(stepScale: 1), carry: &carry)
        let c = committed.tensors["w"]!.values
        XCTAssertNoThrow(try committed.units(on: grid))
        // committed + remainder = trained (to float rounding), and the remainder is at most half a step.
        let r = carry.residuals["w"]!
        var maxRemainder: Float = 0
        for i in 0..<1000 {
            XCTAssertEqual(Double(c[i]) + Double(r[i]), Double(trainedValues[i]), accuracy: 1e-7)
            maxRemainder = max(maxRemainder, abs(r[i]))
        }
        XCTAssertLessThanOrEqual(maxRemainder, 1024 * grid.step / 2 * 1.0001)
        XCTAssertEqual(Compactor.latticeStep(1000), 1024)
        XCTAssertEqual(Compactor.latticeStep(1700), 1536)
        XCTAssertEqual(Compactor.latticeStep(0.3), 1)
    }
}
