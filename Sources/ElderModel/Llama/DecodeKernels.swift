import Dispatch
import ElderTensor
import Foundation

// Kernels the decoder needs that ElderTensor lacks (candidates to move there).
//
// `linear` is y = x Wᵀ for x [T, K] and W [N, K]. For the few rows of token-by-token decoding,
// cblas_sgemm spends most of its time packing W (a full copy per call); a direct matrix-vector loop
// reads W once, so decoding becomes bound by memory bandwidth instead. Larger T goes to sgemm.

/// Threads the matrix-vector loop splits large matrices over (OpenBLAS's setting is separate).
public enum DecodeThreads {
    nonisolated(unsafe) public static var count: Int = {
        if let v = ProcessInfo.processInfo.environment["ELDER_DECODE_THREADS"], let n = Int(v), n >= 1 { return n }
        return 1
    }()
}

/// Rows up to which `linear` uses the matrix-vector loop instead of sgemm.
let matrixVectorRowLimit = 2

/// y = x · Wᵀ, from `packed` (W's quantized blocks) when decoding a few rows, else from W.
public func linear(_ x: Tensor, _ w: Tensor, packed: PackedMatrix?) -> Tensor {
    if let packed, x.rowCount <= matrixVectorRowLimit { return packed.apply(x) }
    return linear(x, w)
}

/// y [T, N] = x [T, K] · Wᵀ with W [N, K] (a row per output).
public func linear(_ x: Tensor, _ w: Tensor) -> Tensor {
    let t = x.rowCount, k = x.lastDimension, n = w.rowCount
    precondition(w.rank == 2 && w.lastDimension == k, "linear: x \(x.shape) vs W \(w.shape)")
    if t > matrixVectorRowLimit { return matmul(x, w, transposeB: true) }
    var y = [Float](repeating: 0, count: t * n)
    let threads = n * k >= 1 << 18 ? DecodeThreads.count : 1
    x.scalars.withUnsafeBufferPointer { xp in
        w.scalars.withUnsafeBufferPointer { wp in
            y.withUnsafeMutableBufferPointer { yp in
                nonisolated(unsafe) let (xb, wb, yb) = (xp.baseAddress!, wp.baseAddress!, yp.baseAddress!)
                let chunk = (n + threads - 1) / threads
                DispatchQueue.concurrentPerform(iterations: threads) { part in
                    for row in part * chunk..<min(n, (part + 1) * chunk) {
                        let wr = wb + row * k
                        for r in 0..<t { yb[r * n + row] = dot(wr, xb + r * k, k) }
                    }
                }
            }
        }
    }
    return Tensor(shape: [t, n], scalars: y)
}

/// Σ a[i] b[i] over n values, four 8-lane accumulators.
@inline(__always)
private func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while i + 32 <= n {
        s0 = s0.addingProduct(ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self),
                              rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
        s1 = s1.addingProduct(ra.loadUnaligned(fromByteOffset: 4 * (i + 8), as: SIMD8<Float>.self),
                              rb.loadUnaligned(fromByteOffset: 4 * (i + 8), as: SIMD8<Float>.self))
        s2 = s2.addingProduct(ra.loadUnaligned(fromByteOffset: 4 * (i + 16), as: SIMD8<Float>.self),
                              rb.loadUnaligned(fromByteOffset: 4 * (i + 16), as: SIMD8<Float>.self))
        s3 = s3.addingProduct(ra.loadUnaligned(fromByteOffset: 4 * (i + 24), as: SIMD8<Float>.self),
                              rb.loadUnaligned(fromByteOffset: 4 * (i + 24), as: SIMD8<Float>.self))
        i += 32
    }
    while i + 8 <= n {
        s0 = s0.addingProduct(ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self),
                              rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
        i += 8
    }
    var s = ((s0 + s1) + (s2 + s3)).sum()
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}
