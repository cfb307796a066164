import CQuantizedKernels

/// A GGML block encoding of weights that decoding reads in place: its block layout, the activation
/// blocks its dot product takes, and its kernels (Sources/CQuantizedKernels/<format>.c: the dequantizer, the
/// AVX2 dot product with quantized activations, and the plain-C reference of that product).
///
/// A new format is one C file of those three functions and one case in each switch below; the tests in
/// QuantizedKernelTests run every case against its references (the Swift dequantizer of Dequantize /
/// BlockFormats, the C reference dot product) and the float32 product.
public enum QuantizedFormat: Sendable, CaseIterable {
    case q4_0, q4_1, q5_0, q8_0, q4_K, q6_K

    public init?(_ type: GGMLType) {
        guard let format = Self.allCases.first(where: { $0.type == type }) else { return nil }
        self = format
    }

    public var type: GGMLType {
        switch self {
        case .q4_0: return .q4_0
        case .q4_1: return .q4_1
        case .q5_0: return .q5_0
        case .q8_0: return .q8_0
        case .q4_K: return .q4_K
        case .q6_K: return .q6_K
        }
    }

    /// Values per block and bytes per block (GGML's layout).
    public var blockSize: Int { type.layout?.blockSize ?? 1 }
    public var blockBytes: Int { type.layout?.blockBytes ?? 1 }

    /// The activation blocks this format's dot product reads.
    public var activations: ActivationFormat {
        switch self {
        case .q4_0, .q4_1, .q5_0, .q8_0, .q4_K, .q6_K: return .q16
        }
    }

    /// y[0..<k] = the values of k/blockSize blocks at `blocks`.
    public func dequantize(_ blocks: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, count k: Int) {
        switch self {
        case .q4_0: elder_dequantize_q4_0(blocks, y, Int64(k))
        case .q4_1: elder_dequantize_q4_1(blocks, y, Int64(k))
        case .q5_0: elder_dequantize_q5_0(blocks, y, Int64(k))
        case .q8_0: elder_dequantize_q8_0(blocks, y, Int64(k))
        case .q4_K: elder_dequantize_q4_k(blocks, y, Int64(k))
        case .q6_K: elder_dequantize_q6_k(blocks, y, Int64(k))
        }
    }

    /// Σ w·x over one row of k weights and the row's activation blocks (`activations`).
    public typealias Dot = @convention(c) (UnsafeRawPointer?, UnsafeRawPointer?, Int64) -> Float

    /// The fast dot product.
    public var dot: Dot {
        switch self {
        case .q4_0: return elder_dot_q4_0_q16
        case .q4_1: return elder_dot_q4_1_q16
        case .q5_0: return elder_dot_q5_0_q16
        case .q8_0: return elder_dot_q8_0_q16
        case .q4_K: return elder_dot_q4_k_q16
        case .q6_K: return elder_dot_q6_k_q16
        }
    }

    /// y[r × yStride + i] = Σ w·x of weight row i (of `weightRows`, one after the other at `w`) with activation
    /// row r (of `rows`, row r at activations + r × activationRowBytes), each the bits `dot` gives that pair.
    public typealias DotRows = @convention(c) (UnsafeRawPointer?, Int64, UnsafeRawPointer?, Int64, Int64, Int64,
                                               UnsafeMutablePointer<Float>?, Int64) -> Void

    /// The products of several weight rows with several activation rows (decoding a batch of sequences): Q4_0,
    /// Q4_1, Q5_0 and Q8_0 unpack each weight block once for four activation rows
    /// (CQuantizedKernels/blocks.h); the K-quants run `dot` per pair.
    public var dotRows: DotRows {
        switch self {
        case .q4_0: return elder_dot_q4_0_q16_rows
        case .q4_1: return elder_dot_q4_1_q16_rows
        case .q5_0: return elder_dot_q5_0_q16_rows
        case .q8_0: return elder_dot_q8_0_q16_rows
        case .q4_K: return elder_dot_q4_k_q16_rows
        case .q6_K: return elder_dot_q6_k_q16_rows
        }
    }

    /// The plain-C loop the fast dot product is tested against.
    public var referenceDot: Dot {
        switch self {
        case .q4_0: return elder_dot_q4_0_q16_reference
        case .q4_1: return elder_dot_q4_1_q16_reference
        case .q5_0: return elder_dot_q5_0_q16_reference
        case .q8_0: return elder_dot_q8_0_q16_reference
        case .q4_K: return elder_dot_q4_k_q16_reference
        case .q6_K: return elder_dot_q6_k_q16_reference
        }
    }
}

/// How a row of activations is quantized for a block format's dot product.
public enum ActivationFormat: Sendable, Hashable {
    /// Blocks of 32: a float32 scale d, d·Σq, and 32 int16 values (`elder_block_q16`).
    case q16

    public var blockSize: Int { 32 }
    public var blockBytes: Int { MemoryLayout<elder_block_q16>.stride }

    /// Quantizes x[0..<k] into k/blockSize blocks at `blocks`.
    public func quantize(_ x: UnsafePointer<Float>, _ blocks: UnsafeMutableRawPointer, count k: Int) {
        switch self {
        case .q16: elder_quantize_q16(x, blocks.assumingMemoryBound(to: elder_block_q16.self), Int64(k))
        }
    }
}
