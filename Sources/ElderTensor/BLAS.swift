import COpenBLAS

/// The thin layer over OpenBLAS: every CBLAS call of the module goes through here.
public enum BLAS {
    /// OpenBLAS worker threads used by matrix products (process-wide setting).
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// Row-major C[m,n] = alpha * op(A)[m,k] x op(B)[k,n] + beta * C on raw pointers with leading
    /// dimensions; used for strided views (attention heads) without copying.
    @inline(__always)
    static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // op(A) x op(B) is empty: C = beta * C.
            for i in 0..<m {
                let row = c + i * ldc
                for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] }
            }
            return
        }
        if m == 1 || n == 1 {
            gemv(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                 a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// A product with one output row or column is a matrix-vector product: sgemv reads the matrix once
    /// and is several times faster than sgemm there (the decode step, T = 1).
    @inline(__always)
    static func gemv(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 1 {
            // c[1,n] = the vector op(a)[1,k] x op(b); its stride is 1 (a is [1,k]) or lda (a is [k,1]).
            if beta == 0 { for j in 0..<n { c[j] = 0 } }   // sgemv scales y by beta, and 0 * NaN would stay NaN
            let incx = Int32(transposeA ? lda : 1)
            if transposeB {   // b is [n,k]: c = b x
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb), a, incx, beta, c, 1)
            } else {          // b is [k,n]: c = bᵀ x
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, b, Int32(ldb), a, incx, beta, c, 1)
            }
        } else {
            // n == 1: c[m,1] = op(a)[m,k] x the vector op(b)[k,1] (stride ldb when b is [k,1], 1 when b is [1,k]).
            if beta == 0 { for i in 0..<m { c[i * ldc] = 0 } }
            let incx = Int32(transposeB ? 1 : ldb), incy = Int32(ldc)
            if transposeA {   // a is [k,m]
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(m), alpha, a, Int32(lda), b, incx, beta, c, incy)
            } else {          // a is [m,k]
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(k), alpha, a, Int32(lda), b, incx, beta, c, incy)
            }
        }
    }
}
