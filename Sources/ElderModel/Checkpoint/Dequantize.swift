/// A GGML tensor encoding, as stored in a GGUF tensor info. Unknown codes are kept so an error can name them.
public struct GGMLType: Equatable, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let f32 = GGMLType(rawValue: 0)
    public static let f16 = GGMLType(rawValue: 1)
    public static let q4_0 = GGMLType(rawValue: 2)
    public static let q4_1 = GGMLType(rawValue: 3)
    public static let q5_0 = GGMLType(rawValue: 6)
    public static let q5_1 = GGMLType(rawValue: 7)
    public static let q8_0 = GGMLType(rawValue: 8)
    public static let q2_K = GGMLType(rawValue: 10)
    public static let q3_K = GGMLType(rawValue: 11)
    public static let q4_K = GGMLType(rawValue: 12)
    public static let q5_K = GGMLType(rawValue: 13)
    public static let q6_K = GGMLType(rawValue: 14)
    public static let bf16 = GGMLType(rawValue: 30)

    /// Elements per block and bytes per block, for the encodings Elder reads.
    public var layout: (blockSize: Int, blockBytes: Int)? {
        switch self {
        case .f32: return (1, 4)
        case .f16, .bf16: return (1, 2)
        case .q4_0: return (32, 18)
        case .q4_1: return (32, 20)
        case .q5_0: return (32, 22)
        case .q5_1: return (32, 24)
        case .q8_0: return (32, 34)
        case .q2_K: return (256, 84)
        case .q3_K: return (256, 110)
        case .q4_K: return (256, 144)
        case .q5_K: return (256, 176)
        case .q6_K: return (256, 210)
        default: return nil
        }
    }
    public var isDequantizable: Bool { layout != nil }

    public var name: String {
        let names: [UInt32: String] = [
            0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
            10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS",
            17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS",
            24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16",
        ]
        return names[rawValue] ?? "unknown type \(rawValue)"
    }
}

/// Converts GGML encodings to float32. Blocks are read little-endian straight from the mapped file.
enum Dequantize {
    static func toFloat(_ bytes: UnsafeRawBufferPointer, type: GGMLType, count: Int,
                        tensor: String, path: String) throws -> [Float] {
        guard let layout = type.layout else {
            throw CheckpointError.unsupportedTensorType(path: path, tensor: tensor, type: type.name)
        }
        let blocks = count / layout.blockSize
        guard count % layout.blockSize == 0, bytes.count >= blocks * layout.blockBytes else {
            throw CheckpointError.invalid(path: path, reason: "tensor \(tensor): \(bytes.count) bytes cannot hold \(count) \(type.name) values")
        }
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch type {
            case .f32:
                for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            case .f16:
                for i in 0..<count { out[i] = half(bytes, 2 * i) }
            case .bf16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    out[i] = Float(bitPattern: UInt32(bits) << 16)
                }
            case .q8_0:
                for b in 0..<blocks {
                    let at = b * 34
                    let d = half(bytes, at)
                    for j in 0..<32 { out[b * 32 + j] = d * Float(Int8(bitPattern: bytes[at + 2 + j])) }
                }
            case .q4_0:
                for b in 0..<blocks {
                    let at = b * 18
                    let d = half(bytes, at)
                    for j in 0..<16 {
                        let q = bytes[at + 2 + j]
                        out[b * 32 + j] = d * Float(Int(q & 0x0F) - 8)
                        out[b * 32 + j + 16] = d * Float(Int(q >> 4) - 8)
                    }
                }
            case .q4_1:
                for b in 0..<blocks {
                    let at = b * 20
                    let d = half(bytes, at), m = half(bytes, at + 2)
                    for j in 0..<16 {
                        let q = bytes[at + 4 + j]
                        out[b * 32 + j] = d * Float(q & 0x0F) + m
                        out[b * 32 + j + 16] = d * Float(q >> 4) + m
                    }
                }
            case .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K:
                let out = UnsafeMutableBufferPointer(rebasing: out[0..<count])
                for b in 0..<blocks {
                    let block = UnsafeRawBufferPointer(rebasing: bytes[b * layout.blockBytes..<(b + 1) * layout.blockBytes])
                    let y = UnsafeMutableBufferPointer(rebasing: out[b * layout.blockSize..<(b + 1) * layout.blockSize])
                    BlockFormats.dequantize(block, type: type, into: y)
                }
            default:
                break
            }
            initialized = count
        }
    }

    @inline(__always)
    static func half(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
    }
}
