// ElderTensor: contiguous float32 tensors, BLAS-backed kernels and reverse-mode autodiff.
//
// Dimension letters used in shape comments throughout this module:
//   T  tokens (query rows)          S  key/value rows (T plus any cached prefix)
//   D  model width                  F  feed-forward width          V  vocabulary
//   Hq query heads   Hkv key/value heads   hd head dimension      M, K, N  matmul sizes
//
// Conventions (llm.c style): one file per op family with forward and backward side by side; a backward
// kernel *adds* into its gradient buffers (named d<input>), and an `inout Tensor?` buffer that is nil is
// skipped, so frozen inputs cost nothing. Matrix products go through BLAS.sgemm (transposes are flags,
// never copies); x·Wᵀ with at most 4 rows and matrix-vector products run as direct FMA loops
// (MatrixVector.swift), which beat OpenBLAS there. Elementwise loops work on buffer pointers; exp is the
// 8-lane `vexp` (FastMath.swift). The Tape (Tape.swift, TapeOps.swift) records only operations that have
// an input requiring a gradient.

/// Contiguous row-major float32 tensor with value semantics (copy-on-write through the Array).
///
/// The kernels of this module read and write `scalars` through buffer pointers, so a tensor passed
/// to an `into:` kernel is updated in place without a copy when its storage is uniquely referenced.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var scalars: [Float]

    /// A tensor over `scalars`; the element count must equal the product of `shape` (programmer error).
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        precondition(Tensor.elementCount(shape) == scalars.count,
                     "Tensor: shape \(shape) needs \(Tensor.elementCount(shape)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: 0, count: Tensor.elementCount(shape)))
    }

    /// A tensor filled with one value.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: Tensor.elementCount(shape)))
    }

    /// Number of scalars.
    public var count: Int { scalars.count }

    /// Number of axes.
    public var rank: Int { shape.count }

    /// Size of the last axis (1 for a scalar).
    public var lastDimension: Int { shape.last ?? 1 }

    /// Number of rows when viewed as a matrix [count / last, last].
    public var rowCount: Int { lastDimension == 0 ? 0 : count / lastDimension }

    /// The same scalars under another shape with the same element count.
    public func reshaped(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, scalars: scalars)
    }

    /// A copy of row `r` of the matrix view [rowCount, lastDimension].
    public func row(_ r: Int) -> [Float] {
        precondition(r >= 0 && r < rowCount, "Tensor.row: \(r) out of 0..<\(rowCount)")
        let n = lastDimension
        return Array(scalars[(r * n)..<((r + 1) * n)])
    }

    /// Overwrites rows start..<start+rows.rowCount of the matrix view with `rows` (same width), in place:
    /// how a preallocated KV cache [maxS, Hkv*hd] takes each step's keys and values without reallocating.
    public mutating func replaceRows(startingAt start: Int, with rows: Tensor) {
        let n = lastDimension
        precondition(rows.lastDimension == n, "replaceRows: width \(rows.lastDimension), expected \(n)")
        precondition(start >= 0 && start + rows.rowCount <= rowCount, "replaceRows: rows \(start)..<\(start + rows.rowCount) outside 0..<\(rowCount)")
        scalars.withUnsafeMutableBufferPointer { dst in
            rows.scalars.withUnsafeBufferPointer { src in
                if src.count > 0 { (dst.baseAddress! + start * n).update(from: src.baseAddress!, count: src.count) }
            }
        }
    }

    static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }
}

/// Largest absolute elementwise difference of two same-shaped tensors (infinity when a NaN differs).
public func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "maxAbsDifference: shapes \(a.shape) and \(b.shape) differ")
    var worst: Float = 0
    for i in 0..<a.count {
        let d = abs(a.scalars[i] - b.scalars[i])
        if d.isNaN { return .infinity }
        worst = max(worst, d)
    }
    return worst
}

/// Sum of all scalars, accumulated in Double (a stable fingerprint for tests and logs).
public func sumOfScalars(_ t: Tensor) -> Double {
    t.scalars.reduce(0.0) { $0 + Double($1) }
}
