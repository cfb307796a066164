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

    func testOnePieceRoundTripIsExact() throws {
        let memory = try makeMemory()
        let files = try MemoryCodec.encode(memory, layout: .onePiece)
        XCTAssertEqual(Set(files.keys), [MemoryCodec.jsonName, MemoryCodec.vectorsName])
        // 12-byte header + (3 centre + 0 scale + 5 keys × 3) floats.
        XCTAssertEqual(files[MemoryCodec.vectorsName]?.count, 12 + 4 * (3 + 15))
        let back = try MemoryCodec.decode(files)
        XCTAssertEqual(back.entries.map(\.id), ["e1", "e2"])
        XCTAssertEqual(back.entries[1].keys.flatMap { $0 }.map(\.bitPattern), memory.entries[1].keys.flatMap { $0 }.map(\.bitPattern))
        XCTAssertEqual(back.centre.map(\.bitPattern), memory.centre.map(\.bitPattern))
        XCTAssertEqual(back, memory)
        // Equal memories give equal bytes (git shares the blobs).
        XCTAssertEqual(try MemoryCodec.encode(back, layout: .onePiece), files)
    }

    func testPerEditRoundTripIsExactAndKeepsEditOrder() throws {
        var memory = try makeMemory()
        memory.entries.reverse()  // edit order is not id order
        let files = try MemoryCodec.encode(memory)
        let e1 = MemoryCodec.editFileName("e1"), e2 = MemoryCodec.editFileName("e2")
        XCTAssertEqual(Set(files.keys), [MemoryCodec.jsonName, MemoryCodec.vectorsName, e1, e2])
        XCTAssertTrue(e1.hasPrefix("edit-") && e1.count == 21 && e1 != e2, e1)
        // vectors.bin: header + centre + the 2 reference keys only; e2's file: 20-byte header, JSON, 2 keys × 3 floats.
        XCTAssertEqual(files[MemoryCodec.vectorsName]?.count, 12 + 4 * (3 + 6))
        let body = try XCTUnwrap(files[e2])
        XCTAssertEqual(Array(body[0..<4]), Array("ELDE".utf8))
        XCTAssertEqual(body.count, 20 + Int(body[16]) + Int(body[17]) << 8 + 4 * 6)
        let back = try MemoryCodec.decode(files)
        XCTAssertEqual(back.entries.map(\.id), ["e2", "e1"])
        XCTAssertEqual(back.entries[0].keys.flatMap { $0 }.map(\.bitPattern), memory.entries[0].keys.flatMap { $0 }.map(\.bitPattern))
        XCTAssertEqual(back, memory)
        XCTAssertEqual(try MemoryCodec.encode(back), files)
        // An edit's file does not depend on the other edits: adding one leaves every other file's bytes alone.
        var more = memory
        more.entries.removeLast()
        let fewer = try MemoryCodec.encode(more)
        XCTAssertEqual(fewer[e2], files[e2])
        XCTAssertEqual(fewer[MemoryCodec.vectorsName], files[MemoryCodec.vectorsName])
        XCTAssertNil(fewer[e1])
    }

    func testPerEditFilesMustMatchTheOrder() throws {
        let files = try MemoryCodec.encode(try makeMemory())
        let e1 = MemoryCodec.editFileName("e1"), e2 = MemoryCodec.editFileName("e2")
        var missing = files
        missing[e1] = nil
        XCTAssertThrowsError(try MemoryCodec.decode(missing)) { XCTAssertTrue("\($0)".contains("e1"), "\($0)") }
        var swapped = files
        (swapped[e1], swapped[e2]) = (files[e2], files[e1])
        XCTAssertThrowsError(try MemoryCodec.decode(swapped)) { XCTAssertTrue("\($0)".contains("holds edit"), "\($0)") }
        var stray = files
        stray["edit-0000000000000000"] = files[e1]
        XCTAssertThrowsError(try MemoryCodec.decode(stray)) { XCTAssertTrue("\($0)".contains("belongs to no live edit"), "\($0)") }
        var damaged = files
        damaged[e2]?.removeLast()
        XCTAssertThrowsError(try MemoryCodec.decode(damaged))
    }

    func testDamagedFilesAreRefused() throws {
        var files = try MemoryCodec.encode(try makeMemory())
        files[MemoryCodec.vectorsName]?.removeLast()
        XCTAssertThrowsError(try MemoryCodec.decode(files))
        XCTAssertThrowsError(try MemoryCodec.decode([:]))
    }
}
