import ElderTensor

/// A metadata value of a GGUF file: one of its thirteen value types, arrays included.
public indirect enum GGUFValue: Equatable, Sendable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String), array([GGUFValue])
    case uint64(UInt64), int64(Int64), float64(Double)

    /// The value as an integer, if it is one of the integer types.
    public var int: Int? {
        switch self {
        case let .uint8(v): return Int(v)
        case let .int8(v): return Int(v)
        case let .uint16(v): return Int(v)
        case let .int16(v): return Int(v)
        case let .uint32(v): return Int(v)
        case let .int32(v): return Int(v)
        case let .uint64(v): return Int(exactly: v)
        case let .int64(v): return Int(v)
        default: return nil
        }
    }
    /// The value as a floating-point number, if it is numeric.
    public var double: Double? {
        switch self {
        case let .float32(v): return Double(v)
        case let .float64(v): return v
        default: return int.map(Double.init)
        }
    }
    public var string: String? { if case let .string(s) = self { return s } else { return nil } }
    public var bool: Bool? { if case let .bool(b) = self { return b } else { return nil } }
    public var array: [GGUFValue]? { if case let .array(a) = self { return a } else { return nil } }
}

/// Where one tensor lives in a GGUF file. `dimensions` are GGML's (innermost first); `shape` is the
/// row-major shape Elder uses (outermost first), so a GGUF `[in, out]` matrix is a `[out, in]` Tensor.
public struct GGUFTensorInfo: Equatable, Sendable {
    public let name: String
    public let dimensions: [Int]
    public let type: GGMLType
    /// Byte offset of the data from the start of the file.
    public let fileOffset: Int
    public let byteCount: Int
    public var shape: [Int] { dimensions.reversed() }
    public var elementCount: Int { dimensions.reduce(1, *) }
}

/// A GGUF file (versions 2 and 3): metadata, tensor infos and memory-mapped tensor data.
///
/// The parser checks every count, length and offset against the file size before it allocates or
/// reads, so a hostile or truncated file gives a `CheckpointError`, never a crash or a huge allocation.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    private let byName: [String: Int]
    private let file: MappedFile

    /// The largest tensor rank GGML knows.
    static let maxDimensions = 4
    static let maxArrayNesting = 3
    /// Metadata values (array elements included) a file may hold: each becomes a Swift value of ~50 bytes, so a
    /// 40 MB array of bytes would cost ~2 GB. A tokenizer's vocabulary, scores, types and merges are the
    /// largest real metadata (Gemma 3: 262,144 tokens × 3 arrays; SmolLM2: 49,152 tokens + 48,900 merges).
    static let maxMetadataValues = 1 << 22

    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        self.file = file
        path = file.path
        var cursor = ByteCursor(file: file)
        let magic = try cursor.readBytes(min(4, file.count))
        guard magic == Array("GGUF".utf8) else { throw CheckpointError.badMagic(path: path, found: magic) }
        version = try cursor.read(UInt32.self)
        guard version == 2 || version == 3 else { throw CheckpointError.unsupportedVersion(path: path, version: version) }
        let tensorCount = try Self.count(cursor.read(UInt64.self), minimumSize: 24, cursor: cursor, what: "tensor count")
        let keyCount = try Self.count(cursor.read(UInt64.self), minimumSize: 13, cursor: cursor, what: "metadata count")

        var metadata: [String: GGUFValue] = [:]
        metadata.reserveCapacity(keyCount)
        var values = 0
        for _ in 0..<keyCount {
            let key = try Self.readString(&cursor)
            let type = try cursor.read(UInt32.self)
            metadata[key] = try Self.readValue(type: type, cursor: &cursor, depth: 0, values: &values)
        }
        self.metadata = metadata

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.int, a > 0, a <= 1 << 20, a & (a - 1) == 0 else {
                throw CheckpointError.invalid(path: path, reason: "general.alignment \(value) is not a power of two")
            }
            alignment = a
        }
        self.alignment = alignment

        struct Raw { let name: String; let dims: [Int]; let type: GGMLType; let offset: Int }
        var raws: [Raw] = []
        raws.reserveCapacity(tensorCount)
        for _ in 0..<tensorCount {
            let name = try Self.readString(&cursor)
            let rank = try cursor.read(UInt32.self)
            guard rank >= 1, rank <= UInt32(Self.maxDimensions) else {
                throw CheckpointError.invalid(path: path, reason: "tensor \(name) has \(rank) dimensions (1...4 allowed)")
            }
            var dims: [Int] = []
            for _ in 0..<rank {
                let d = try cursor.read(UInt64.self)
                guard d <= UInt64(file.count) * 2 + 64 else {
                    throw CheckpointError.invalid(path: path, reason: "tensor \(name) has an absurd dimension \(d)")
                }
                dims.append(Int(d))
            }
            let type = GGMLType(rawValue: try cursor.read(UInt32.self))
            let offset = try cursor.read(UInt64.self)
            guard offset <= UInt64(file.count) else {
                throw CheckpointError.invalid(path: path, reason: "tensor \(name) has offset \(offset) beyond the file (\(file.count) bytes)")
            }
            raws.append(Raw(name: name, dims: dims, type: type, offset: Int(offset)))
        }

        let dataStart = (cursor.offset + alignment - 1) / alignment * alignment
        let dataSize = file.count - dataStart
        var infos: [GGUFTensorInfo] = []
        var byName: [String: Int] = [:]
        for raw in raws {
            guard byName[raw.name] == nil else { throw CheckpointError.invalid(path: path, reason: "tensor \(raw.name) appears twice") }
            guard raw.offset % alignment == 0 else {
                throw CheckpointError.invalid(path: path, reason: "tensor \(raw.name) offset \(raw.offset) is not aligned to \(alignment)")
            }
            var elements = 1
            for d in raw.dims {
                let (product, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow, product <= Int(UInt32.max) * 64 else {
                    throw CheckpointError.invalid(path: path, reason: "tensor \(raw.name) has an absurd element count")
                }
                elements = product
            }
            var bytes = 0
            if let layout = raw.type.layout {
                guard raw.dims[0] % layout.blockSize == 0 else {
                    throw CheckpointError.invalid(path: path,
                        reason: "tensor \(raw.name): row length \(raw.dims[0]) is not a multiple of \(raw.type.name)'s block size \(layout.blockSize)")
                }
                bytes = elements / layout.blockSize * layout.blockBytes
            }
            guard dataSize >= 0, raw.offset <= dataSize, bytes <= dataSize - raw.offset else {
                throw CheckpointError.invalid(path: path,
                    reason: "tensor \(raw.name) (\(bytes) bytes at offset \(raw.offset)) runs past the end of the file")
            }
            byName[raw.name] = infos.count
            infos.append(GGUFTensorInfo(name: raw.name, dimensions: raw.dims, type: raw.type,
                                        fileOffset: dataStart + raw.offset, byteCount: bytes))
        }
        tensors = infos
        self.byName = byName
    }

    public func info(_ name: String) -> GGUFTensorInfo? { byName[name].map { tensors[$0] } }

    /// The tensor `name` dequantized to float32, shaped row-major (outermost dimension first).
    public func tensor(_ name: String) throws -> Tensor {
        guard let info = info(name) else { throw CheckpointError.missingTensors(path: path, names: [name]) }
        guard info.type.isDequantizable else {
            throw CheckpointError.unsupportedTensorType(path: path, tensor: name, type: info.type.name)
        }
        let scalars = try file.withBytes(info.fileOffset..<info.fileOffset + info.byteCount) {
            try Dequantize.toFloat($0, type: info.type, count: info.elementCount, tensor: name, path: path)
        }
        return Tensor(shape: info.shape, scalars: scalars)
    }

    /// Calls `body` with raw bytes of the mapped file (bounds-checked).
    /// The bytes `range` of the file, checked once, for in-place readers (`quantizedMatrix`).
    func mappedRegion(_ range: Range<Int>) throws -> MappedRegion { try file.region(range) }

    func withFileBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try file.withBytes(range, body)
    }

    // MARK: - Metadata helpers

    public func int(_ key: String) throws -> Int {
        guard let v = metadata[key]?.int else { throw CheckpointError.missingMetadata(path: path, key: key) }
        return v
    }
    public func double(_ key: String) throws -> Double {
        guard let v = metadata[key]?.double else { throw CheckpointError.missingMetadata(path: path, key: key) }
        return v
    }
    public func string(_ key: String) throws -> String {
        guard let v = metadata[key]?.string else { throw CheckpointError.missingMetadata(path: path, key: key) }
        return v
    }
    public func strings(_ key: String) throws -> [String] {
        guard let a = metadata[key]?.array else { throw CheckpointError.missingMetadata(path: path, key: key) }
        return try a.map {
            guard let s = $0.string else { throw CheckpointError.missingMetadata(path: path, key: key) }
            return s
        }
    }

    // MARK: - Parsing

    /// A count read from the file, accepted only if `count` items of at least `minimumSize` bytes fit in what is left.
    private static func count(_ raw: UInt64, minimumSize: Int, cursor: ByteCursor, what: String) throws -> Int {
        guard raw <= UInt64(cursor.remaining / max(minimumSize, 1)) else {
            throw CheckpointError.invalid(path: cursor.file.path,
                reason: "\(what) \(raw) cannot fit in the \(cursor.remaining) bytes left at offset \(cursor.offset)")
        }
        return Int(raw)
    }

    private static func readString(_ cursor: inout ByteCursor) throws -> String {
        let length = try count(cursor.read(UInt64.self), minimumSize: 1, cursor: cursor, what: "string length")
        let bytes = try cursor.readBytes(length)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func readValue(type: UInt32, cursor: inout ByteCursor, depth: Int, values total: inout Int) throws -> GGUFValue {
        total += 1
        guard total <= maxMetadataValues else {
            throw CheckpointError.invalid(path: cursor.file.path, reason: "more than \(maxMetadataValues) metadata values")
        }
        switch type {
        case 0: return .uint8(try cursor.read(UInt8.self))
        case 1: return .int8(try cursor.read(Int8.self))
        case 2: return .uint16(try cursor.read(UInt16.self))
        case 3: return .int16(try cursor.read(Int16.self))
        case 4: return .uint32(try cursor.read(UInt32.self))
        case 5: return .int32(try cursor.read(Int32.self))
        case 6: return .float32(try cursor.readFloat())
        case 7:
            let b = try cursor.read(UInt8.self)
            guard b <= 1 else { throw CheckpointError.invalid(path: cursor.file.path, reason: "bool value \(b) at offset \(cursor.offset - 1)") }
            return .bool(b == 1)
        case 8: return .string(try readString(&cursor))
        case 9:
            guard depth < maxArrayNesting else {
                throw CheckpointError.invalid(path: cursor.file.path, reason: "arrays nested deeper than \(maxArrayNesting)")
            }
            let elementType = try cursor.read(UInt32.self)
            guard let size = minimumValueSize(elementType) else {
                throw CheckpointError.invalid(path: cursor.file.path, reason: "unknown metadata array element type \(elementType)")
            }
            let n = try count(cursor.read(UInt64.self), minimumSize: size, cursor: cursor, what: "array length")
            guard n <= maxMetadataValues - total else {
                throw CheckpointError.invalid(path: cursor.file.path, reason: "a metadata array of \(n) values (at most \(maxMetadataValues) in all)")
            }
            var values: [GGUFValue] = []
            values.reserveCapacity(n)
            for _ in 0..<n { values.append(try readValue(type: elementType, cursor: &cursor, depth: depth + 1, values: &total)) }
            return .array(values)
        case 10: return .uint64(try cursor.read(UInt64.self))
        case 11: return .int64(try cursor.read(Int64.self))
        case 12: return .float64(try cursor.readDouble())
        default:
            throw CheckpointError.invalid(path: cursor.file.path, reason: "unknown metadata value type \(type) at offset \(cursor.offset - 4)")
        }
    }

    private static func minimumValueSize(_ type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8, 10, 11, 12: return 8
        case 9: return 12
        default: return nil
        }
    }
}
