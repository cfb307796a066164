// Matrix products through cblas_sgemm; transposes are BLAS flags, never copies.
//   a: [M,K] (or [K,M] with transposeA)   b: [K,N] (or [N,K] with transposeB)   c: [M,N]

/// Sizes (M, K, N) of op(a) x op(b) for 2-D operands; traps on a shape mismatch (programmer error).
@inline(__always)
func matmulSizes(_ a: Tensor, _ b: Tensor, _ transposeA: Bool, _ transposeB: Bool) -> (m: Int, k: Int, n: Int) {
    precondition(a.rank == 2 && b.rank == 2, "matmul: needs 2-D operands, got \(a.shape) and \(b.shape)")
    let m = transposeA ? a.shape[1] : a.shape[0]
    let k = transposeA ? a.shape[0] : a.shape[1]
    let kb = transposeB ? b.shape[1] : b.shape[0]
    let n = transposeB ? b.shape[0] : b.shape[1]
    precondition(k == kb, "matmul: inner sizes differ: \(a.shape)\(transposeA ? "ᵀ" : "") x \(b.shape)\(transposeB ? "ᵀ" : "")")
    return (m, k, n)
}

/// op(a) x op(b) -> [M,N], a new tensor.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    let (m, _, n) = matmulSizes(a, b, transposeA, transposeB)
    var c = Tensor(zeros: [m, n])
    matmul(into: &c, a, b, transposeA: transposeA, transposeB: transposeB)
    return c
}

/// c = alpha * op(a) x op(b) + beta * c, in place: no allocation when `c`'s storage is uniquely referenced.
public func matmul(into c: inout Tensor, _ a: Tensor, _ b: Tensor, transposeA: Bool = false,
                   transposeB: Bool = false, alpha: Float = 1, beta: Float = 0) {
    let (m, k, n) = matmulSizes(a, b, transposeA, transposeB)
    precondition(c.rank == 2 && c.shape[0] == m && c.shape[1] == n,   // no array literal: no allocation
                 "matmul(into:): output shape \(c.shape), expected [\(m), \(n)]")
    let lda = a.shape[1], ldb = b.shape[1]
    c.scalars.withUnsafeMutableBufferPointer { cp in
        a.scalars.withUnsafeBufferPointer { ap in
            b.scalars.withUnsafeBufferPointer { bp in
                BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                           a: ap.baseAddress!, lda: max(lda, 1), b: bp.baseAddress!, ldb: max(ldb, 1),
                           beta: beta, c: cp.baseAddress!, ldc: max(n, 1))
            }
        }
    }
}

/// Naive triple loop of op(a) x op(b), accumulated in Double: the reference the BLAS path is tested against.
public func matmulNaive(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    let (m, k, n) = matmulSizes(a, b, transposeA, transposeB)
    var out = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let av = transposeA ? a.scalars[p * m + i] : a.scalars[i * k + p]
                let bv = transposeB ? b.scalars[j * k + p] : b.scalars[p * n + j]
                s += Double(av) * Double(bv)
            }
            out[i * n + j] = Float(s)
        }
    }
    return Tensor(shape: [m, n], scalars: out)
}

/// Backward of c = op(a) x op(b): adds dL/da into `da` and dL/db into `db`; a nil buffer is skipped
/// (no work for operands that need no gradient).
public func matmulBackward(da: inout Tensor?, db: inout Tensor?, dc: Tensor, a: Tensor, b: Tensor,
                           transposeA: Bool = false, transposeB: Bool = false) {
    if da != nil {
        // op(a) = a:  da[M,K] += dc x op(b)ᵀ.     op(a) = aᵀ:  da[K,M] += op(b) x dcᵀ.
        if transposeA {
            matmul(into: &da!, b, dc, transposeA: transposeB, transposeB: true, beta: 1)
        } else {
            matmul(into: &da!, dc, b, transposeA: false, transposeB: !transposeB, beta: 1)
        }
    }
    if db != nil {
        // op(b) = b:  db[K,N] += op(a)ᵀ x dc.     op(b) = bᵀ:  db[N,K] += dcᵀ x op(a).
        if transposeB {
            matmul(into: &db!, dc, a, transposeA: true, transposeB: transposeA, beta: 1)
        } else {
            matmul(into: &db!, a, dc, transposeA: !transposeA, transposeB: false, beta: 1)
        }
    }
}
