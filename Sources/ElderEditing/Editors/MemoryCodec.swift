import Foundation

/// How an `EditMemory` is stored in a commit's `codebook/` folder: two files.
///
/// - `memory.json`: everything but the float vectors — per live edit (in edit order) its id, allocation,
///   allocation codes, training rows and prompt lengths, and how many keys it has — plus the lengths of
///   the centre, scale and reference-key vectors. Sorted keys, so equal memories give equal bytes (and
///   git shares the blob).
/// - `vectors.bin`: the float vectors, exact: `"ELDV"`, u32 version 1, u32 vector width W, then float32
///   little-endian values in this order: centre, scale, the reference keys, then each edit's keys in edit
///   order. Every key is W values; centre and scale hold W or 0 values, as `memory.json` says.
///   Edit keys are held in memory as 16-bit fixed point (`QuantizedKeys`); their float32 form here is
///   exact, and reading it back quantizes to the same values, so a decoded memory equals the encoded one.
///   Files written before the keys were quantized read the same way (each key rounded once, as the
///   editor would now store it).
///
/// At ~576 floats per key this is 2.3 KB per edit (one centroid key) instead of ~12 KB as JSON text, and
/// round-trips bit for bit (JSON text would have to print floats with enough digits to be exact).
/// Lives in ElderEditing so every holder of an editor's state (the workspace's commits, the lifelong
/// benchmark's checkpoints) shares one exact encoding.
public enum MemoryCodec {
    public static let jsonName = "memory.json"
    public static let vectorsName = "vectors.bin"
    /// The query whitening (`EditMemory.projection`), in a file of its own: it is the same for every
    /// version of a repo, so git stores it once. Absent when whitening is off.
    public static let projectionName = "projection.bin"
    static let magic: [UInt8] = Array("ELDV".utf8)

    struct MemoryFile: Codable {
        var version: Int
        var width: Int
        var centreCount: Int
        var scaleCount: Int
        var backgroundCount: Int
        /// The live edits with their keys left out (they are in `vectors.bin`).
        var entries: [EditMemory.Entry]
        var keyCounts: [Int]
    }

    public static func encode(_ memory: EditMemory) throws -> [String: [UInt8]] {
        let allKeys = memory.backgroundKeys + memory.entries.flatMap(\.keys)
        let width = allKeys.first?.count ?? max(memory.centre.count, memory.scale.count)
        guard allKeys.allSatisfy({ $0.count == width }),
              memory.centre.isEmpty || memory.centre.count == width,
              memory.scale.isEmpty || memory.scale.count == width else {
            throw MemoryCodecError("keys of different widths cannot be stored")
        }
        let file = MemoryFile(version: 1, width: width, centreCount: memory.centre.count, scaleCount: memory.scale.count,
                              backgroundCount: memory.backgroundKeys.count,
                              entries: memory.entries.map { var e = $0; e.keys = []; return e },
                              keyCounts: memory.entries.map(\.keys.count))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes = magic
        appendU32(&bytes, 1)
        appendU32(&bytes, UInt32(width))
        let vectors = [memory.centre, memory.scale] + allKeys
        bytes.reserveCapacity(bytes.count + vectors.reduce(0) { $0 + $1.count } * 4)
        for v in vectors { for x in v { appendU32(&bytes, x.bitPattern) } }
        var files = [jsonName: Array(try encoder.encode(file)), vectorsName: bytes]
        if !memory.projection.isEmpty {
            var projection = magic
            appendU32(&projection, 1)
            appendU32(&projection, UInt32(memory.projection.count))
            projection.reserveCapacity(projection.count + 4 * memory.projection.count)
            for x in memory.projection { appendU32(&projection, x.bitPattern) }
            files[projectionName] = projection
        }
        return files
    }

    public static func decode(_ files: [String: [UInt8]]) throws -> EditMemory {
        guard let json = files[jsonName], let bin = files[vectorsName] else {
            throw MemoryCodecError("codebook/\(jsonName) or codebook/\(vectorsName) is missing")
        }
        let file: MemoryFile
        do { file = try JSONDecoder().decode(MemoryFile.self, from: Data(json)) } catch {
            throw MemoryCodecError("\(jsonName): \(error)")
        }
        guard file.version == 1, file.width >= 0,
              file.centreCount == 0 || file.centreCount == file.width,
              file.scaleCount == 0 || file.scaleCount == file.width,
              file.backgroundCount >= 0, file.keyCounts.count == file.entries.count,
              file.keyCounts.allSatisfy({ $0 >= 0 }), file.entries.allSatisfy(\.keys.isEmpty) else {
            throw MemoryCodecError("\(jsonName) has invalid counts")
        }
        let keyCount = file.backgroundCount + file.keyCounts.reduce(0, +)
        let floats = file.centreCount + file.scaleCount + keyCount * file.width
        guard bin.count == 12 + 4 * floats, Array(bin[0..<4]) == magic, readU32(bin, 4) == 1,
              readU32(bin, 8) == UInt32(file.width) else {
            throw MemoryCodecError("\(vectorsName) does not match \(jsonName) (\(bin.count) bytes, expected \(12 + 4 * floats))")
        }
        var offset = 12
        func take(_ n: Int) -> [Float] {
            var out = [Float](repeating: 0, count: n)
            for i in 0..<n { out[i] = Float(bitPattern: readU32(bin, offset + 4 * i)) }
            offset += 4 * n
            return out
        }
        var memory = EditMemory()
        memory.centre = take(file.centreCount)
        memory.scale = take(file.scaleCount)
        memory.backgroundKeys = (0..<file.backgroundCount).map { _ in take(file.width) }
        for (i, var e) in file.entries.enumerated() {
            e.keys = (0..<file.keyCounts[i]).map { _ in take(file.width) }
            memory.entries.append(e)
        }
        if let projection = files[projectionName] {
            guard projection.count >= 12, Array(projection[0..<4]) == magic, readU32(projection, 4) == 1,
                  projection.count == 12 + 4 * Int(readU32(projection, 8)) else {
                throw MemoryCodecError("codebook/\(projectionName) is damaged (\(projection.count) bytes)")
            }
            memory.projection = (0..<Int(readU32(projection, 8))).map { Float(bitPattern: readU32(projection, 12 + 4 * $0)) }
        }
        return memory
    }

    private static func appendU32(_ bytes: inout [UInt8], _ v: UInt32) {
        bytes.append(UInt8(v & 0xff)); bytes.append(UInt8((v >> 8) & 0xff))
        bytes.append(UInt8((v >> 16) & 0xff)); bytes.append(UInt8(v >> 24))
    }

    private static func readU32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
}

/// Why an encoded `EditMemory` could not be written or read back.
public struct MemoryCodecError: Error, CustomStringConvertible, Sendable, Equatable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "the edit memory is invalid: \(reason)" }
}
