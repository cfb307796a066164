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
        if !transposeA && transposeB && m <= MatrixVector.fewRowLimit {
            // x[m,k] · W[n,k]ᵀ for a few rows (decode, short prompts): direct dot loops beat sgemm's packing.
            MatrixVector.fewRows(m: m, n: n, k: k, alpha: alpha, x: a, ldx: lda, w: b, ldw: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        if m == 1 || n == 1 {
            MatrixVector.product(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                                 a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
