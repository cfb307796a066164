import Foundation

// Softmax, log-softmax and cross-entropy on selected positions, over the last axis.
//   x, out: [T,V] (any leading shape: rows of the last axis)

/// Calls body(rowIn, rowOut, width) for every row of the last axis.
@inline(__always)
func forEachRow(_ x: Tensor, _ out: inout Tensor,
                _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) {
    let n = x.lastDimension, rows = x.rowCount
    out.scalars.withUnsafeMutableBufferPointer { o in
        x.scalars.withUnsafeBufferPointer { xp in
            for r in 0..<rows { body(xp.baseAddress! + r * n, o.baseAddress! + r * n, n) }
        }
    }
}

/// Softmax of one row of n >= 1 values into out (may alias).
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    let m = rowMax(x, n)
    let sum = expShifted(x, out, n, shift: m)
    let inv = 1 / sum
    for i in 0..<n { out[i] *= inv }
}

/// log(sum(exp(row))) computed stably; `scratch` holds n floats.
@inline(__always)
func logSumExp(_ x: UnsafePointer<Float>, _ n: Int, scratch: UnsafeMutablePointer<Float>) -> Float {
    let m = rowMax(x, n)
    return m + log(expShifted(x, scratch, n, shift: m))
}

/// Softmax over the last axis.
public func softmax(_ x: Tensor) -> Tensor {
    var out = Tensor(zeros: x.shape)
    if x.count > 0 { forEachRow(x, &out) { xr, o, n in softmaxRow(xr, o, n) } }
    return out
}

/// Log-softmax over the last axis: x - logsumexp(x).
public func logSoftmax(_ x: Tensor) -> Tensor {
    var out = Tensor(zeros: x.shape)
    if x.count > 0 {
        forEachRow(x, &out) { xr, o, n in
            let lse = logSumExp(xr, n, scratch: o)
            for i in 0..<n { o[i] = xr[i] - lse }
        }
    }
    return out
}

/// Backward of y = softmax(x): dx += y * (dy - sum(dy * y)) per row.
public func softmaxBackward(dx: inout Tensor, dout: Tensor, out y: Tensor) {
    let n = y.lastDimension, rows = y.rowCount
    dx.scalars.withUnsafeMutableBufferPointer { d in
        y.scalars.withUnsafeBufferPointer { yp in
            dout.scalars.withUnsafeBufferPointer { g in
                for r in 0..<rows {
                    let yr = yp.baseAddress! + r * n, gr = g.baseAddress! + r * n, dr = d.baseAddress! + r * n
                    let s = dot(yr, gr, n)
                    for i in 0..<n { dr[i] += yr[i] * (gr[i] - s) }
                }
            }
        }
    }
}

/// Backward of y = logSoftmax(x): dx += dy - exp(y) * sum(dy) per row.
public func logSoftmaxBackward(dx: inout Tensor, dout: Tensor, out y: Tensor) {
    let n = y.lastDimension, rows = y.rowCount
    dx.scalars.withUnsafeMutableBufferPointer { d in
        y.scalars.withUnsafeBufferPointer { yp in
            dout.scalars.withUnsafeBufferPointer { g in
                for r in 0..<rows {
                    let yr = yp.baseAddress! + r * n, gr = g.baseAddress! + r * n, dr = d.baseAddress! + r * n
                    var s: Float = 0
                    for i in 0..<n { s += gr[i] }
                    for i in 0..<n { dr[i] += gr[i] - fexp(yr[i]) * s }
                }
            }
        }
    }
}

/// A (row, class) pair whose negative log-probability enters the cross-entropy.
public typealias CrossEntropyTarget = (position: Int, token: Int)

/// Mean over `targets` of -log softmax(logits[position])[token]; only the selected rows are computed.
/// logits: [T,V]. Returns 0 for no targets.
public func crossEntropy(_ logits: Tensor, targets: [CrossEntropyTarget]) -> Float {
    let v = logits.lastDimension, rows = logits.rowCount
    if targets.isEmpty { return 0 }
    var scratch = [Float](repeating: 0, count: v)
    var total: Double = 0
    logits.scalars.withUnsafeBufferPointer { lp in
        scratch.withUnsafeMutableBufferPointer { sp in
            for (pos, tok) in targets {
                precondition(pos >= 0 && pos < rows && tok >= 0 && tok < v,
                             "crossEntropy: target (\(pos), \(tok)) outside [\(rows), \(v)]")
                let row = lp.baseAddress! + pos * v
                total += Double(logSumExp(row, v, scratch: sp.baseAddress!) - row[tok])
            }
        }
    }
    return Float(total / Double(targets.count))
}

/// Backward of crossEntropy: dlogits[position] += dloss * (softmax(row) - onehot(token)) / targets.count.
public func crossEntropyBackward(dlogits: inout Tensor, dloss: Float, logits: Tensor, targets: [CrossEntropyTarget]) {
    let v = logits.lastDimension
    if targets.isEmpty { return }
    let g = dloss / Float(targets.count)
    var p = [Float](repeating: 0, count: v)
    dlogits.scalars.withUnsafeMutableBufferPointer { d in
        logits.scalars.withUnsafeBufferPointer { lp in
            p.withUnsafeMutableBufferPointer { pp in
                for (pos, tok) in targets {
                    softmaxRow(lp.baseAddress! + pos * v, pp.baseAddress!, v)
                    let dr = d.baseAddress! + pos * v
                    for i in 0..<v { dr[i] += g * pp[i] }
                    dr[tok] -= g
                }
            }
        }
    }
}
