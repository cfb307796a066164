import ElderTensor
import Foundation

/// The element encodings Elder reads and writes in safetensors files.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"
    var size: Int { self == .f32 ? 4 : 2 }
    var ggml: GGMLType { switch self { case .f32: return .f32; case .f16: return .f16; case .bf16: return .bf16 } }
}

/// A safetensors file: an 8-byte header length, a JSON header naming each tensor's dtype, shape and
/// byte range, then the data (memory-mapped). Header and ranges are validated against the file size.
public final class SafetensorsFile: @unchecked Sendable {
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let dtype: SafetensorsDType
        public let shape: [Int]
        public let fileRange: Range<Int>
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let file: MappedFile

    /// Headers above this size are refused (the format's own limit is 100 MB).
    static let maxHeaderBytes = 100_000_000

    public init(path: String) throws {
        file = try MappedFile(path: path)
        self.path = path
        var cursor = ByteCursor(file: file)
        let headerLength = try cursor.read(UInt64.self)
        guard headerLength <= UInt64(min(cursor.remaining, Self.maxHeaderBytes)) else {
            throw CheckpointError.invalid(path: path, reason: "safetensors header length \(headerLength) exceeds the file")
        }
        let header = try file.data(8..<8 + Int(headerLength))
        let dataStart = 8 + Int(headerLength)
        let dataSize = file.count - dataStart
        guard let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw CheckpointError.invalid(path: path, reason: "safetensors header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in json {
            if name == "__metadata__" {
                for (k, v) in value as? [String: Any] ?? [:] { metadata[k] = v as? String ?? "\(v)" }
                continue
            }
            guard let fields = value as? [String: Any], let dtypeName = fields["dtype"] as? String,
                  let shapeValues = fields["shape"] as? [Any], let offsets = fields["data_offsets"] as? [Any],
                  offsets.count == 2 else {
                throw CheckpointError.invalid(path: path, reason: "tensor \(name): malformed header entry")
            }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
                throw CheckpointError.unsupportedTensorType(path: path, tensor: name, type: dtypeName)
            }
            let shape = try shapeValues.map { v -> Int in
                guard let n = (v as? NSNumber)?.intValue, n >= 0, n <= dataSize else {
                    throw CheckpointError.invalid(path: path, reason: "tensor \(name): bad dimension \(v)")
                }
                return n
            }
            guard let begin = (offsets[0] as? NSNumber)?.intValue, let end = (offsets[1] as? NSNumber)?.intValue,
                  begin >= 0, begin <= end, end <= dataSize else {
                throw CheckpointError.invalid(path: path, reason: "tensor \(name): data offsets \(offsets) lie outside the \(dataSize) data bytes")
            }
            var elements = 1
            for d in shape {
                let (p, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow, p <= dataSize else {
                    throw CheckpointError.invalid(path: path, reason: "tensor \(name): shape \(shape) exceeds the file")
                }
                elements = p
            }
            guard elements * dtype.size == end - begin else {
                throw CheckpointError.invalid(path: path,
                    reason: "tensor \(name): shape \(shape) of \(dtypeName) needs \(elements * dtype.size) bytes, offsets give \(end - begin)")
            }
            entries[name] = Entry(name: name, dtype: dtype, shape: shape, fileRange: dataStart + begin..<dataStart + end)
        }
        self.entries = entries
        self.metadata = metadata
    }

    public var names: [String] { entries.keys.sorted() }

    /// The tensor `name` converted to float32.
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entries[name] else { throw CheckpointError.missingTensors(path: path, names: [name]) }
        let count = e.shape.reduce(1, *)
        let scalars = try file.withBytes(e.fileRange) {
            try Dequantize.toFloat($0, type: e.dtype.ggml, count: count, tensor: name, path: path)
        }
        return Tensor(shape: e.shape, scalars: scalars)
    }

    /// Writes `tensors` as a safetensors file encoded as `dtype`, header keys sorted, data 8-byte aligned.
    public static func write(_ tensors: [String: Tensor], dtype: SafetensorsDType = .f32,
                             metadata: [String: String] = [:], to path: String) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var body = Data()
        for name in tensors.keys.sorted() {
            let t = tensors[name]!
            let begin = body.count
            body.reserveCapacity(body.count + t.count * dtype.size)
            for x in t.scalars {
                switch dtype {
                case .f32: withUnsafeBytes(of: x.bitPattern.littleEndian) { body.append(contentsOf: $0) }
                case .f16: withUnsafeBytes(of: Float16(x).bitPattern.littleEndian) { body.append(contentsOf: $0) }
                case .bf16: withUnsafeBytes(of: bfloat16Bits(x).littleEndian) { body.append(contentsOf: $0) }
                }
            }
            header[name] = ["dtype": dtype.rawValue, "shape": t.shape, "data_offsets": [begin, body.count]] as [String: Any]
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(body)
        do { try out.write(to: URL(fileURLWithPath: path)) } catch {
            throw CheckpointError.cannotOpen(path: path, reason: "\(error)")
        }
    }

    /// Rounds a float to bfloat16 (nearest, ties to even); NaN stays NaN.
    static func bfloat16Bits(_ x: Float) -> UInt16 {
        if x.isNaN { return 0x7FC0 }
        let bits = x.bitPattern
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }
}
