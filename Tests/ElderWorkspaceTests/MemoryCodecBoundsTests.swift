import Elder
import ElderEditing
import XCTest

/// Codebook files someone forged: every count is checked before it sizes an allocation, every float is
/// finite, and what the editor indexes with (allocations, codes, token ids, key widths) is within its bounds.
final class MemoryCodecBoundsTests: XCTestCase {
    let bounds = MemoryBounds(width: 3, layers: 2, experts: 4, topK: 2, vocabulary: 10, contextLength: 8)

    func makeFiles(_ entries: String = """
        [{"id":"e1","allocation":{"experts":[[0,1],[2,3]]},"keys":[[0.5,0.25,0.125]],"codes":[],"rows":[[1,2,3]],"promptLengths":[2]}]
        """) throws -> [String: [UInt8]] {
        var memory = EditMemory()
        memory.centre = [1, 2, 3]
        memory.backgroundKeys = [[0.1, 0.2, 0.3]]
        memory.entries = try JSONDecoder().decode([EditMemory.Entry].self, from: Data(entries.utf8))
        return try MemoryCodec.encode(memory)
    }

    func assertRefused(_ files: [String: [UInt8]], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try MemoryCodec.decode(files, bounds: bounds), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(fragment), "\(error)", file: file, line: line)
        }
    }

    func testAValidMemoryPasses() throws {
        XCTAssertEqual(try MemoryCodec.decode(try makeFiles(), bounds: bounds).entries.map(\.id), ["e1"])
    }

    func testNaNKeysAndCentresAreRefused() throws {
        var files = try makeFiles()
        var vectors = try XCTUnwrap(files[MemoryCodec.vectorsName])
        vectors.replaceSubrange(12..<16, with: [0x00, 0x00, 0xc0, 0x7f])  // centre[0] = NaN
        files[MemoryCodec.vectorsName] = vectors
        assertRefused(files, "not a finite number")
        var edit = try makeFiles()
        let name = MemoryCodec.editFileName("e1")
        var bytes = try XCTUnwrap(edit[name])
        bytes.replaceSubrange((bytes.count - 4)..<bytes.count, with: [0x00, 0x00, 0x80, 0x7f])  // +inf
        edit[name] = bytes
        assertRefused(edit, "not a finite number")
    }

    func testHugeWidthsAndOverflowingCountsAreRefusedBeforeAllocating() throws {
        for (key, value) in [("width", "4294967295"), ("backgroundCount", "4611686018427387904"), ("width", "-1")] {
            var files = try makeFiles()
            var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(files[MemoryCodec.jsonName]!)) as? [String: Any])
            object[key] = Int(value)!
            files[MemoryCodec.jsonName] = Array(try JSONSerialization.data(withJSONObject: object))
            assertRefused(files, "invalid counts")
        }
        // An edit file declaring 2^32 − 1 keys.
        var files = try makeFiles()
        let name = MemoryCodec.editFileName("e1")
        var bytes = try XCTUnwrap(files[name])
        bytes.replaceSubrange(8..<12, with: [0xff, 0xff, 0xff, 0xff])
        files[name] = bytes
        assertRefused(files, "edit file")
    }

    func testOutOfRangeAllocationsCodesAndTokensAreRefused() throws {
        assertRefused(try makeFiles("""
            [{"id":"e1","allocation":{"experts":[[0,900],[2,3]]},"keys":[],"codes":[],"rows":[[1,2]],"promptLengths":[1]}]
            """), "allocation")
        assertRefused(try makeFiles("""
            [{"id":"e1","allocation":{"experts":[[0,1],[2,3]]},"keys":[],"codes":[{"bitCount":5000,"words":[1]}],"rows":[[1,2]],"promptLengths":[1]}]
            """), "code")
        assertRefused(try makeFiles("""
            [{"id":"e1","allocation":{"experts":[[0,1],[2,3]]},"keys":[],"codes":[],"rows":[[1,99]],"promptLengths":[1]}]
            """), "training row")
        assertRefused(try makeFiles("""
            [{"id":"e1","allocation":{"experts":[[0,1],[2,3]]},"keys":[],"codes":[],"rows":[[1,2]],"promptLengths":[7]}]
            """), "training row")
        // A memory of another model's query width.
        XCTAssertThrowsError(try MemoryCodec.decode(try makeFiles(), bounds: MemoryBounds(width: 4, layers: 2, experts: 4, topK: 2,
                                                                                         vocabulary: 10, contextLength: 8))) {
            XCTAssertTrue("\($0)".contains("query width 4"), "\($0)")
        }
    }

    func testAbsurdSettingsAreRefusedWithTheirRange() throws {
        let base = EditorConfiguration.elderDefault(blockCount: 30)
        for (change, fragment): ((inout EditorConfiguration) -> Void, String) in [
            ({ $0.experts = 1_000_000_000_000 }, "experts"), ({ $0.iterations = 1_000_000_000 }, "iterations"),
            ({ $0.rank = 100_000 }, "rank"), ({ $0.learningRate = .nan }, "learning rate"), ({ $0.replay = 1 << 40 }, "replay"),
            ({ $0.deferral = .similarityMargin(margin: .infinity, referenceMargin: 0, minimum: 0) }, "margin"),
            ({ $0.deferral = .hamming(epsilon: 1 << 40) }, "Hamming"),
        ] {
            var c = base
            change(&c)
            XCTAssertThrowsError(try c.validate(blockCount: 30)) { XCTAssertTrue("\($0)".contains(fragment), "\($0)") }
        }
    }
}
