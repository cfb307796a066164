// Products with one output row or column (the decode step, T = 1), or x · Wᵀ with a few rows, as direct loops.
//
// OpenBLAS 0.3.21's sgemm packs the whole weight matrix per call, and its row-major sgemv (the
// transposed column-major kernel) was measured 2-5x slower here than a plain FMA dot per weight row:
// 49152x576 · x took 36 ms in sgemv, 18 ms as dot loops (1 thread). These loops read each weight once,
// so decoding is bound by memory bandwidth. Large matrices are split over BLAS.threadCount threads
// (WorkerPool: persistent threads, no wake-up per product).

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
                    fewRows(m: 1, n: n, k: k, alpha: alpha, x: x, ldx: k, w: b, ldw: ldb, beta: beta, c: c, ldc: n)
                } else {          // B is [k,n]: c = sum_p x[p] * B row p
                    rowCombination(b, ldb: ldb, rows: k, width: n, x: x, alpha: alpha, beta: beta, c: c)
                }
            }
        } else {
            // n == 1: c[m,1] = op(A)[m,k] · y; y has stride 1 (B is [1,k]) or ldb (B is [k,1]).
            withContiguous(b, count: k, stride: transposeB ? 1 : ldb) { y in
                if !transposeA {  // A is [m,k]: c[i] = dot(A row i, y), written with stride ldc
                    fewRows(m: 1, n: m, k: k, alpha: alpha, x: y, ldx: k, w: a, ldw: lda, beta: beta, c: c, ldc: 0,
                            columnStride: ldc)
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

    /// c[r*ldc + j*columnStride] = alpha * dot(x row r, w row j) + beta * (old value) for a few rows r of
    /// x [m,k] (stride ldx) and all rows j of w [n,k] (stride ldw): each weight row is read once for all m rows.
    static func fewRows(m: Int, n: Int, k: Int, alpha: Float, x: UnsafePointer<Float>, ldx: Int,
                        w: UnsafePointer<Float>, ldw: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                        columnStride: Int = 1) {
        nonisolated(unsafe) let (w, x, c) = (w, x, c)
        split(n, threads: n * k >= parallelThreshold ? BLAS.threadCount : 1) { js in
            for j in js {
                let wr = w + j * ldw
                for r in 0..<m {
                    let v = alpha * dot(wr, x + r * ldx, k), o = c + r * ldc + j * columnStride
                    o.pointee = beta == 0 ? v : v + beta * o.pointee
                }
            }
        }
    }

    /// c[0..<width] = alpha * sum_p x[p] * (w row p) + beta * c, w [rows, width] with stride ldb.
    static func rowCombination(_ w: UnsafePointer<Float>, ldb: Int, rows: Int, width: Int, x: UnsafePointer<Float>,
                               alpha: Float, beta: Float, c: UnsafeMutablePointer<Float>) {
        nonisolated(unsafe) let (w, x, c) = (w, x, c)
        split(width, threads: rows * width >= parallelThreshold ? BLAS.threadCount : 1, align: 8) { cols in
            let out = c + cols.lowerBound, width = cols.count
            for i in 0..<width { out[i] = beta == 0 ? 0 : beta * out[i] }
            for p in 0..<rows {
                let s = alpha * x[p], row = w + p * ldb + cols.lowerBound
                for i in 0..<width { out[i] += s * row[i] }
            }
        }
    }

    /// Runs body over 0..<count in one piece, or in `threads` pieces (multiples of `align`) on the worker pool.
    /// The closure is non-escaping: no allocation on the single-thread path.
    @inline(__always)
    static func split(_ count: Int, threads: Int, align: Int = 1, _ body: @Sendable (Range<Int>) -> Void) {
        let parts = min(threads, max(1, count / max(align, 32)))
        if parts <= 1 { body(0..<count); return }
        let chunk = ((count + parts - 1) / parts + align - 1) / align * align
        WorkerPool.shared.run(parts: parts) { part in
            let lo = part * chunk, hi = min(count, lo + chunk)
            if lo < hi { body(lo..<hi) }
        }
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
}
