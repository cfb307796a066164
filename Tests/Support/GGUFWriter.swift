import ElderModel
import ElderTensor
import Foundation

/// A test-only GGUF writer (versions 2 and 3): metadata of any value type, tensors as F32 or as
/// raw pre-encoded blocks of any GGML type, data aligned as the format requires.
public struct GGUFWriter {
    public var version: UInt32 = 3
    public var alignment = 32
    private var kv: [(String, GGUFValue)] = []
    private var tensors: [(name: String, dims: [UInt64], type: UInt32, bytes: Data)] = []

    public init(version: UInt32 = 3, alignment: Int = 32) {
        self.version = version
        self.alignment = alignment
    }

    public mutating func metadata(_ key: String, _ value: GGUFValue) { kv.append((key, value)) }

    /// An F32 tensor; the row-major shape is reversed into GGML's dimensions.
    public mutating func tensor(_ name: String, _ t: Tensor) {
        var d = Data()
        for x in t.scalars { d.append(le(x.bitPattern)) }
        tensors.append((name, t.shape.reversed().map(UInt64.init), 0, d))
    }

    public mutating func rawTensor(_ name: String, dims: [UInt64], type: UInt32, bytes: Data) {
        tensors.append((name, dims, type, bytes))
    }

    public func data() -> Data {
        var out = Data("GGUF".utf8)
        out.append(le(version))
        out.append(le(UInt64(tensors.count)))
        out.append(le(UInt64(kv.count)))
        for (k, v) in kv {
            out.append(string(k))
            out.append(le(Self.typeCode(v)))
            out.append(value(v))
        }
        var offset: UInt64 = 0
        var offsets: [UInt64] = []
        for t in tensors {
            offsets.append(offset)
            offset += UInt64(t.bytes.count)
            offset = (offset + UInt64(alignment) - 1) / UInt64(alignment) * UInt64(alignment)
        }
        for (t, off) in zip(tensors, offsets) {
            out.append(string(t.name))
            out.append(le(UInt32(t.dims.count)))
            for d in t.dims { out.append(le(d)) }
            out.append(le(t.type))
            out.append(le(off))
        }
        while out.count % alignment != 0 { out.append(0) }
        for t in tensors {
            out.append(t.bytes)
            while out.count % alignment != 0 { out.append(0) }
        }
        return out
    }

    public static func typeCode(_ v: GGUFValue) -> UInt32 {
        switch v {
        case .uint8: return 0
        case .int8: return 1
        case .uint16: return 2
        case .int16: return 3
        case .uint32: return 4
        case .int32: return 5
        case .float32: return 6
        case .bool: return 7
        case .string: return 8
        case .array: return 9
        case .uint64: return 10
        case .int64: return 11
        case .float64: return 12
        }
    }

    private func value(_ v: GGUFValue) -> Data {
        switch v {
        case let .uint8(x): return le(x)
        case let .int8(x): return le(x)
        case let .uint16(x): return le(x)
        case let .int16(x): return le(x)
        case let .uint32(x): return le(x)
        case let .int32(x): return le(x)
        case let .float32(x): return le(x.bitPattern)
        case let .bool(x): return le(UInt8(x ? 1 : 0))
        case let .string(s): return string(s)
        case let .array(items):
            var d = le(items.first.map(Self.typeCode) ?? 4)
            d.append(le(UInt64(items.count)))
            for i in items { d.append(value(i)) }
            return d
        case let .uint64(x): return le(x)
        case let .int64(x): return le(x)
        case let .float64(x): return le(x.bitPattern)
        }
    }

    private func string(_ s: String) -> Data {
        var d = le(UInt64(s.utf8.count))
        d.append(Data(s.utf8))
        return d
    }
}

public func le<T: FixedWidthInteger>(_ x: T) -> Data {
    withUnsafeBytes(of: x.littleEndian) { Data($0) }
}
