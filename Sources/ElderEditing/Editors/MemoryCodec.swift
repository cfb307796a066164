import ElderStable
import Foundation

/// How an `EditMemory` is stored in a commit's `codebook/` folder.
///
/// Two layouts, told apart by `memory.json`'s `version`:
/// - **Per edit** (version 2, what a knowledge repo's commits hold): `memory.json` has the vector width,
///   the lengths of the centre, scale and reference-key vectors and the live edits' ids in edit order;
///   `vectors.bin` the centre, scale and reference keys; and each live edit has a file of its own,
///   `edit-<16 hex digits of FNV-1a(id)>`: `"ELDE"`, u32 version 1, u32 key count, u32 width, u32 JSON length,
///   the edit's entry as JSON (sorted keys, keys left out), then its keys as float32. A commit that adds an
///   edit writes that edit's file and a `memory.json` that grew by one id; every other file is the parent's
///   blob, which git shares. (Version 1 rewrote every live edit's keys at every commit: a repo's size grew
///   with the square of its edits, ~2.5 GB of objects over 1,000 edits.)
/// - **One piece** (version 1, what a lifelong benchmark checkpoint holds): `memory.json` with every live
///   edit's entry, and `vectors.bin`: `"ELDV"`, u32 version 1, u32 vector width W, then float32
///   little-endian values in this order: centre, scale, the reference keys, then each edit's keys in edit
///   order. Repos written before version 2 read the same way.
///
/// Every key is W values; centre and scale hold W or 0 values. Edit keys are held in memory as 16-bit fixed
/// point (`QuantizedKeys`); their float32 form here is exact, and reading it back quantizes to the same
/// values, so a decoded memory equals the encoded one (files written before the keys were quantized read
/// the same way, each key rounded once, as the editor would now store it). Equal memories give equal bytes.
/// Lives in ElderEditing so every holder of an editor's state (the workspace's commits, the lifelong
/// benchmark's checkpoints) shares one exact encoding.
public enum MemoryCodec {
    public static let jsonName = "memory.json"
    public static let vectorsName = "vectors.bin"
    /// The query whitening (`EditMemory.projection`), in a file of its own: it is the same for every
    /// version of a repo, so git stores it once. Absent when whitening is off.
    public static let projectionName = "projection.bin"
    static let magic: [UInt8] = Array("ELDV".utf8)

    static let editMagic: [UInt8] = Array("ELDE".utf8)

    /// Which files the live edits go into (see the type's documentation).
    public enum Layout: Sendable {
        /// A file per live edit (version 2): a commit writes only what changed.
        case perEdit
        /// Every edit in `memory.json` and `vectors.bin` (version 1): two files, for single-file containers.
        case onePiece
    }

    struct MemoryFile: Codable {
        var version: Int
        var width: Int
        var centreCount: Int
        var scaleCount: Int
        var backgroundCount: Int
        /// Version 1: the live edits with their keys left out (they are in `vectors.bin`); version 2: empty.
        var entries: [EditMemory.Entry]
        var keyCounts: [Int]
        /// Version 2: the live edits' ids in edit order (each edit is in `editFileName(id)`).
        var order: [String]?
    }

    /// The codebook file holding the live edit `id` (per-edit layout).
    public static func editFileName(_ id: String) -> String {
        "edit-" + hex16(stableHash(id))
    }

    public static func encode(_ memory: EditMemory, layout: Layout = .perEdit) throws -> [String: [UInt8]] {
        let allKeys = memory.backgroundKeys + memory.entries.flatMap(\.keys)
        let width = allKeys.first?.count ?? max(memory.centre.count, memory.scale.count)
        guard allKeys.allSatisfy({ $0.count == width }),
              memory.centre.isEmpty || memory.centre.count == width,
              memory.scale.isEmpty || memory.scale.count == width else {
            throw MemoryCodecError("keys of different widths cannot be stored")
        }
        let perEdit = layout == .perEdit
        let file = MemoryFile(version: perEdit ? 2 : 1, width: width, centreCount: memory.centre.count,
                              scaleCount: memory.scale.count, backgroundCount: memory.backgroundKeys.count,
                              entries: perEdit ? [] : memory.entries.map { var e = $0; e.keys = []; return e },
                              keyCounts: perEdit ? [] : memory.entries.map(\.keys.count),
                              order: perEdit ? memory.entries.map(\.id) : nil)
        var bytes = magic
        appendU32(&bytes, 1)
        appendU32(&bytes, UInt32(width))
        let vectors = [memory.centre, memory.scale] + (perEdit ? memory.backgroundKeys : allKeys)
        bytes.reserveCapacity(bytes.count + vectors.reduce(0) { $0 + $1.count } * 4)
        for v in vectors { for x in v { appendU32(&bytes, x.bitPattern) } }
        var files = [jsonName: try json(file), vectorsName: bytes]
        if perEdit {
            for entry in memory.entries {
                let name = editFileName(entry.id)
                guard files[name] == nil else {
                    throw MemoryCodecError("two live edits share the file \(name) (ids \(entry.id) and another): rename one")
                }
                files[name] = try encodeEdit(entry, width: width)
            }
        }
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

    /// The widest key and the most keys (per edit, and background) a file may declare: far above any real
    /// model's query (SmolLM2: 576 or 1,536 values) and any edit's prompts, and small enough that no count ×
    /// width product overflows.
    public static let maxWidth = 1 << 16
    public static let maxKeys = 1 << 16

    /// Decodes a memory, checking every count before it allocates (the files' sizes must match what they
    /// declare) and every value: floats finite, and, given `bounds`, what the editor that uses the memory
    /// needs (key width, allocations, codes, token rows; `EditMemory.check`).
    public static func decode(_ files: [String: [UInt8]], bounds: MemoryBounds? = nil) throws -> EditMemory {
        let memory = try decodeFiles(files)
        if let bounds { try memory.check(bounds) }
        return memory
    }

    static func decodeFiles(_ files: [String: [UInt8]]) throws -> EditMemory {
        guard let json = files[jsonName], let bin = files[vectorsName] else {
            throw MemoryCodecError("codebook/\(jsonName) or codebook/\(vectorsName) is missing")
        }
        let file: MemoryFile
        do { file = try JSONDecoder().decode(MemoryFile.self, from: Data(json)) } catch {
            throw MemoryCodecError("\(jsonName): \(error)")
        }
        guard file.version == 1 || file.version == 2, (0...maxWidth).contains(file.width),
              file.centreCount == 0 || file.centreCount == file.width,
              file.scaleCount == 0 || file.scaleCount == file.width,
              (0...maxKeys).contains(file.backgroundCount), file.keyCounts.count == file.entries.count,
              file.keyCounts.allSatisfy({ (0...maxKeys).contains($0) }), file.entries.allSatisfy(\.keys.isEmpty),
              file.version == 1 || (file.entries.isEmpty && file.order != nil) else {
            throw MemoryCodecError("\(jsonName) has invalid counts (widths at most \(maxWidth), keys at most \(maxKeys))")
        }
        // Every count is at most 2^16 and there are fewer entries than JSON bytes: these products cannot overflow.
        let keyCount = file.backgroundCount + file.keyCounts.reduce(0, +)
        let floatCount = file.centreCount + file.scaleCount + keyCount * file.width
        guard bin.count >= 12, bin.count == 12 + 4 * floatCount, Array(bin[0..<4]) == magic, readU32(bin, 4) == 1,
              readU32(bin, 8) == UInt32(file.width) else {
            throw MemoryCodecError("\(vectorsName) does not match \(jsonName) (\(bin.count) bytes, expected \(12 + 4 * floatCount))")
        }
        var offset = 12
        func take(_ n: Int) throws -> [Float] {
            let out = try floats(bin, at: offset, count: n, what: vectorsName)
            offset += 4 * n
            return out
        }
        var memory = EditMemory()
        memory.centre = try take(file.centreCount)
        memory.scale = try take(file.scaleCount)
        memory.backgroundKeys = try (0..<file.backgroundCount).map { _ in try take(file.width) }
        for (i, var e) in file.entries.enumerated() {
            e.keys = try (0..<file.keyCounts[i]).map { _ in try take(file.width) }
            memory.entries.append(e)
        }
        let order = file.order ?? []
        guard Set(order).count == order.count else { throw MemoryCodecError("\(jsonName) lists an edit twice") }
        for id in order {
            guard let bytes = files[editFileName(id)] else {
                throw MemoryCodecError("codebook/\(editFileName(id)) (edit \(id)) is missing")
            }
            let entry = try decodeEdit(bytes, width: file.width)
            guard entry.id == id else {
                throw MemoryCodecError("codebook/\(editFileName(id)) holds edit \(entry.id), not \(id)")
            }
            memory.entries.append(entry)
        }
        let listed = Set(order.map(editFileName))
        if let stray = files.keys.sorted().first(where: { $0.hasPrefix("edit-") && !listed.contains($0) }) {
            throw MemoryCodecError("codebook/\(stray) belongs to no live edit of \(jsonName)")
        }
        if let projection = files[projectionName] {
            guard projection.count >= 12, Array(projection[0..<4]) == magic, readU32(projection, 4) == 1,
                  projection.count == 12 + 4 * Int(readU32(projection, 8)),
                  Int(readU32(projection, 8)) == file.width * file.width else {
                throw MemoryCodecError("codebook/\(projectionName) is damaged (\(projection.count) bytes, "
                    + "expected a \(file.width)×\(file.width) matrix)")
            }
            memory.projection = try floats(projection, at: 12, count: Int(readU32(projection, 8)), what: projectionName)
        }
        return memory
    }

    /// One live edit's file (per-edit layout).
    static func encodeEdit(_ entry: EditMemory.Entry, width: Int) throws -> [UInt8] {
        var bare = entry
        bare.keys = []
        let body = try json(bare)
        var bytes = editMagic
        for v in [1, entry.keys.count, width, body.count] { appendU32(&bytes, UInt32(v)) }
        bytes += body
        bytes.reserveCapacity(bytes.count + 4 * width * entry.keys.count)
        for key in entry.keys { for x in key { appendU32(&bytes, x.bitPattern) } }
        return bytes
    }

    static func decodeEdit(_ bytes: [UInt8], width: Int) throws -> EditMemory.Entry {
        guard bytes.count >= 20, Array(bytes[0..<4]) == editMagic, readU32(bytes, 4) == 1,
              Int(readU32(bytes, 12)) == width else {
            throw MemoryCodecError("an edit file is damaged or of another width (\(bytes.count) bytes)")
        }
        let keyCount = Int(readU32(bytes, 8)), length = Int(readU32(bytes, 16))
        // width ≤ 2^16 (checked by the caller), keyCount and length < 2^32: no product below overflows.
        guard keyCount <= maxKeys, bytes.count == 20 + length + 4 * keyCount * width else {
            throw MemoryCodecError("an edit file has \(bytes.count) bytes, expected \(20 + length + 4 * keyCount * width)")
        }
        var entry: EditMemory.Entry
        do { entry = try JSONDecoder().decode(EditMemory.Entry.self, from: Data(bytes[20..<(20 + length)])) } catch {
            throw MemoryCodecError("an edit file's entry: \(error)")
        }
        guard entry.keys.isEmpty else { throw MemoryCodecError("edit \(entry.id)'s file holds keys in its JSON") }
        entry.keys = try (0..<keyCount).map { try floats(bytes, at: 20 + length + 4 * width * $0, count: width, what: "edit \(entry.id)'s keys") }
        return entry
    }

    private static func json<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }

    /// `count` float32 values at `offset` (the caller checked the length), all finite: a NaN key or centre
    /// would silently switch edits off.
    private static func floats(_ bytes: [UInt8], at offset: Int, count: Int, what: String) throws -> [Float] {
        let out = (0..<count).map { Float(bitPattern: readU32(bytes, offset + 4 * $0)) }
        guard out.allSatisfy(\.isFinite) else { throw MemoryCodecError("\(what) holds a value that is not a finite number") }
        return out
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
