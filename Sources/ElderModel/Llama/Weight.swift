import ElderTensor
import Foundation

// A projection's weights, float32 or read in place from GGUF blocks, and the one product that uses them.
//
// Decoding and answering read the quantized blocks only (PackedMatrix); float32 is what training needs
// (the tape multiplies by the weights of the blocks it differentiates through) and what long products run
// fastest on. A GGUF matrix therefore starts without float32 values, and they are made from its blocks
// when asked: kept for good when code reads `float` (the editor's adapted stack), and, for products of many
// rows, kept or made slab by slab and dropped, as the model's `FloatWeights` says.

/// What a model loaded from quantized blocks does about float32 copies of its matrices.
public enum FloatWeights: Sendable {
    /// A product of many rows makes the matrix's float32 values once and keeps them (the lab: speed first).
    case keptAfterFirstUse
    /// Products of many rows dequantize a slab of the matrix at a time and keep nothing; only code that
    /// reads a matrix's `float` (training) keeps it. What the product's commands use: resident memory is
    /// the quantized file plus what an edit trains through.
    case transient
}

/// The weights W [N, K] of one projection (a row per output).
public struct Weight: Sendable {
    let storage: WeightStorage

    /// Float32 weights (a tiny model, a safetensors checkpoint, an edited matrix).
    public init(_ float: Tensor) { storage = WeightStorage(float: float, packed: nil, keep: true) }

    /// Weights read in place from `packed`; `float` if they were already dequantized, else made when needed.
    init(packed: PackedMatrix, float: Tensor?, policy: FloatWeights) {
        storage = WeightStorage(float: float, packed: packed, keep: policy == .keptAfterFirstUse)
    }

    /// The float32 values [N, K], made from the blocks (and kept) on first use.
    public var float: Tensor { storage.float() }

    /// The GGUF blocks, when the weights come from a quantized checkpoint.
    public var packed: PackedMatrix? { storage.packed }

    /// Whether float32 values are held now (for memory accounting and tests).
    public var holdsFloat: Bool { storage.materialized() != nil }

    /// The same weights without their blocks: every product on float32.
    func floatOnly() -> Weight { Weight(float) }
}

/// The shared state of a `Weight`: copies of a model share their matrices' float32 values once made.
final class WeightStorage: @unchecked Sendable {
    let packed: PackedMatrix?
    let keep: Bool
    private var stored: Tensor?
    private let lock = NSLock()

    init(float: Tensor?, packed: PackedMatrix?, keep: Bool) {
        precondition(float != nil || packed != nil, "Weight: needs float32 values or blocks")
        (self.stored, self.packed, self.keep) = (float, packed, keep)
    }

    func materialized() -> Tensor? {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func float() -> Tensor {
        lock.lock()
        defer { lock.unlock() }
        if let stored { return stored }
        let made = packed!.dequantized()
        stored = made
        return made
    }
}

/// Which products read a matrix's quantized blocks instead of float32: a rule the caller states, never what
/// the process happens to hold, so that the same rows always compute the same bits.
public enum BlockProductRule: Sendable {
    /// Products of up to `PackedMatrix.rowLimit` rows read the blocks, longer ones run sgemm on float32 (prompts,
    /// teacher-forced scoring, training).
    case fewRows
    /// One decoding step of a batch of sequences: products of up to `PackedMatrix.decodingStepRowLimit` rows
    /// read the blocks, whether float32 copies exist or not, so every row of the batch gets the bits of its
    /// sequence decoded alone (which reads the blocks for its one row).
    case decodingStep

    /// The most rows of x whose product reads the blocks.
    public var blockRowLimit: Int {
        switch self {
        case .fewRows: PackedMatrix.rowLimit
        case .decodingStep: PackedMatrix.decodingStepRowLimit
        }
    }
}

/// y = x · Wᵀ for x [T, K]: from W's blocks for the rows `rule` allows (decoding), else on float32 (kept or made
/// slab by slab, see `FloatWeights`).
public func linear(_ x: Tensor, _ w: Weight, rule: BlockProductRule = .fewRows) -> Tensor {
    guard let packed = w.packed else { return matmul(x, w.float, transposeB: true) }
    if x.rowCount <= rule.blockRowLimit { return packed.apply(x) }
    if let float = w.storage.materialized() { return matmul(x, float, transposeB: true) }
    return w.storage.keep ? matmul(x, w.float, transposeB: true) : packed.product(x)
}
