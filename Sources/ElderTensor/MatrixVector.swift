import Dispatch

// Products with one output row or column (the decode step, T = 1), or x · Wᵀ with a few rows, as direct loops.
//
// OpenBLAS 0.3.21's sgemm packs the whole weight matrix per call, and its row-major sgemv (the
// transposed column-major kernel) was measured 2-5x slower here than a plain FMA dot per weight row:
// 49152x576 · x took 36 ms in sgemv, 18 ms as dot loops (1 thread). These loops read each weight once,
// so decoding is bound by memory bandwidth. Large matrices are split over BLAS.threadCount threads.

enum MatrixVector {
    /// Up to this many rows, x · Wᵀ runs as dot loops (measured 1.5-3x faster than sgemm for 2-4 rows of
    /// the SmolLM2 projections; sgemm wins from about 8 rows on the 49152-row vocabulary matrix).
    static let fewRowLimit = 4

    /// Matrices with at least this many elements are split over threads.
    static let parallelThreshold = 1 << 18

    /// Row-major c = alpha * op(A) x op(B) + beta * c where m == 1 or n == 1 (see BLAS.sgemm for the layout).
    static func product(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 1 {
            // c[1,n] = x[1,k] · op(B); x has stride 1 (A is [1,k]) or lda (A is [k,1]).
            withContiguous(a, count: k, stride: transposeA ? lda : 1) { x in
                if transposeB {   // B is [n,k]: c[j] = dot(B row j, x)
                    rowDots(b, ldb: ldb, rows: n, k: k, x: x, alpha: alpha, beta: beta, c: c, cStride: 1)
                } else {          // B is [k,n]: c = sum_p x[p] * B row p
                    rowCombination(b, ldb: ldb, rows: k, width: n, x: x, alpha: alpha, beta: beta, c: c)
                }
            }
        } else {
            // n == 1: c[m,1] = op(A)[m,k] · y; y has stride 1 (B is [1,k]) or ldb (B is [k,1]).
            withContiguous(b, count: k, stride: transposeB ? 1 : ldb) { y in
                if !transposeA {  // A is [m,k]: c[i] = dot(A row i, y)
                    rowDots(a, ldb: lda, rows: m, k: k, x: y, alpha: alpha, beta: beta, c: c, cStride: ldc)
                } else if ldc == 1 {   // A is [k,m]: c = sum_p y[p] * A row p
                    rowCombination(a, ldb: lda, rows: k, width: m, x: y, alpha: alpha, beta: beta, c: c)
                } else {
                    var tmp = [Float](repeating: 0, count: m)
                    tmp.withUnsafeMutableBufferPointer { t in
                        rowCombination(a, ldb: lda, rows: k, width: m, x: y, alpha: 1, beta: 0, c: t.baseAddress!)
                        for i in 0..<m { c[i * ldc] = alpha * t[i] + (beta == 0 ? 0 : beta * c[i * ldc]) }
                    }
                }
            }
        }
    }

    /// c[r, j] = alpha * dot(x row r, w row j) + beta * c[r, j] for a few rows r of x [m,k] (stride ldx) and
    /// w [n,k] (stride ldw): each weight row is read from memory once for all m rows.
    static func fewRows(m: Int, n: Int, k: Int, alpha: Float, x: UnsafePointer<Float>, ldx: Int,
                        w: UnsafePointer<Float>, ldw: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        nonisolated(unsafe) let (w, x, c) = (w, x, c)
        let threads = n * k >= parallelThreshold ? min(BLAS.threadCount, n) : 1
        let chunk = (n + threads - 1) / threads
        let run: @Sendable (Int) -> Void = { part in
            for j in (part * chunk)..<min(n, (part + 1) * chunk) {
                let wr = w + j * ldw
                for r in 0..<m {
                    let v = alpha * dot(wr, x + r * ldx, k)
                    c[r * ldc + j] = beta == 0 ? v : v + beta * c[r * ldc + j]
                }
            }
        }
        if threads == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: run) }
    }

    /// Calls body with the k values at p, p+stride, ... laid out contiguously (copied only if stride != 1).
    @inline(__always)
    static func withContiguous(_ p: UnsafePointer<Float>, count: Int, stride: Int,
                               _ body: (UnsafePointer<Float>) -> Void) {
        if stride == 1 || count <= 1 { body(p); return }
        var tmp = [Float](repeating: 0, count: count)
        for i in 0..<count { tmp[i] = p[i * stride] }
        tmp.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// c[j * cStride] = alpha * dot(w row j, x) + beta * c[j * cStride] for rows j of w [rows, k] (stride ldb).
    static func rowDots(_ w: UnsafePointer<Float>, ldb: Int, rows: Int, k: Int, x: UnsafePointer<Float>,
                        alpha: Float, beta: Float, c: UnsafeMutablePointer<Float>, cStride: Int) {
        nonisolated(unsafe) let (w, x, c) = (w, x, c)
        let threads = rows * k >= parallelThreshold ? min(BLAS.threadCount, rows) : 1
        let chunk = (rows + threads - 1) / threads
        let run: @Sendable (Int) -> Void = { part in
            for j in (part * chunk)..<min(rows, (part + 1) * chunk) {
                let v = alpha * dot(w + j * ldb, x, k)
                c[j * cStride] = beta == 0 ? v : v + beta * c[j * cStride]
            }
        }
        if threads == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: run) }
    }

    /// c[0..<width] = alpha * sum_p x[p] * (w row p) + beta * c, w [rows, width] with stride ldb.
    static func rowCombination(_ w: UnsafePointer<Float>, ldb: Int, rows: Int, width: Int, x: UnsafePointer<Float>,
                               alpha: Float, beta: Float, c: UnsafeMutablePointer<Float>) {
        nonisolated(unsafe) let (w, x, c) = (w, x, c)
        let threads = rows * width >= parallelThreshold ? min(BLAS.threadCount, max(1, width / 64)) : 1
        let chunk = ((width + threads - 1) / threads + 7) / 8 * 8   // column blocks of whole 8-lane vectors
        let run: @Sendable (Int) -> Void = { part in
            let lo = part * chunk, hi = min(width, lo + chunk)
            if lo >= hi { return }
            let out = c + lo
            for i in 0..<(hi - lo) { out[i] = beta == 0 ? 0 : beta * out[i] }
            for p in 0..<rows {
                let s = alpha * x[p], row = w + p * ldb + lo
                for i in 0..<(hi - lo) { out[i] += s * row[i] }
            }
        }
        if threads == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: run) }
    }
}
