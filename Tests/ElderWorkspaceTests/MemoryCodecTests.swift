import Elder
import ElderEditing
import XCTest

/// The codebook encoding of an edit memory round-trips bit for bit and refuses damaged files.
final class MemoryCodecTests: XCTestCase {
    func makeMemory() throws -> EditMemory {
        var memory = EditMemory()
        memory.centre = [1.5, -0.0, .leastNonzeroMagnitude]
        memory.backgroundKeys = [[0.1, 0.2, 0.3], [Float.pi, -1e-30, 7]]
        // Entries come from JSON (their memberwise init is internal to ElderEditing).
        let json = """
        [{"id":"e1","allocation":{"experts":[[0,1],[2,3]]},"keys":[[0.5,0.25,0.125]],"codes":[],"rows":[[1,2,3]],"promptLengths":[2]},
         {"id":"e2","allocation":{"experts":[[1,2],[0,3]]},"keys":[],"codes":[],"rows":[[4,5]],"promptLengths":[1]}]
        """
        memory.entries = try JSONDecoder().decode([EditMemory.Entry].self, from: Data(json.utf8))
        memory.entries[1].keys = [[1 / 3, 2 / 3, -1 / 7], [9, 8, 7]]
        return memory
    }

    func testRoundTripIsExact() throws {
        let memory = try makeMemory()
        let files = try MemoryCodec.encode(memory)
        XCTAssertEqual(Set(files.keys), [MemoryCodec.jsonName, MemoryCodec.vectorsName])
        // 12-byte header + (3 centre + 0 scale + 5 keys × 3) floats.
        XCTAssertEqual(files[MemoryCodec.vectorsName]?.count, 12 + 4 * (3 + 15))
        let back = try MemoryCodec.decode(files)
        XCTAssertEqual(back.entries.map(\.id), ["e1", "e2"])
        XCTAssertEqual(back.entries[1].keys.flatMap { $0 }.map(\.bitPattern), memory.entries[1].keys.flatMap { $0 }.map(\.bitPattern))
        XCTAssertEqual(back.centre.map(\.bitPattern), memory.centre.map(\.bitPattern))
        XCTAssertEqual(back, memory)
        // Equal memories give equal bytes (git shares the blobs).
        XCTAssertEqual(try MemoryCodec.encode(back), files)
    }

    func testDamagedFilesAreRefused() throws {
        var files = try MemoryCodec.encode(try makeMemory())
        files[MemoryCodec.vectorsName]?.removeLast()
        XCTAssertThrowsError(try MemoryCodec.decode(files))
        XCTAssertThrowsError(try MemoryCodec.decode([:]))
    }
}
