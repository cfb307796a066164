// Per-row scaling, column and row slices: what a router needs to weight experts' outputs token by token,
// and what a batch of sequences needs to take one sequence's row.
//   x: [T,D]   w: [T] (or [T,1])   slice of x: [T, count]

/// out[t,i] = x[t,i] * w[t]: each row scaled by its own weight (e.g. a router's gate for that token).
public func scaleRows(_ x: Tensor, by w: Tensor) -> Tensor {
    let d = x.lastDimension, rows = x.rowCount
    precondition(w.count == rows, "scaleRows: \(w.count) weights for \(rows) rows")
    var out = x
    out.scalars.withUnsafeMutableBufferPointer { o in
        w.scalars.withUnsafeBufferPointer { wp in
            for t in 0..<rows {
                let s = wp[t], r = o.baseAddress! + t * d
                for i in 0..<d { r[i] *= s }
            }
        }
    }
    return out
}

/// Backward of scaleRows: dx[t,i] += dout[t,i] w[t];  dw[t] += sum_i dout[t,i] x[t,i].
public func scaleRowsBackward(dx: inout Tensor?, dw: inout Tensor?, dout: Tensor, x: Tensor, w: Tensor) {
    let d = x.lastDimension, rows = x.rowCount
    if dx != nil { addScaled(into: &dx!, scaleRows(dout, by: w)) }
    if dw != nil {
        dw!.scalars.withUnsafeMutableBufferPointer { g in
            x.scalars.withUnsafeBufferPointer { xp in
                dout.scalars.withUnsafeBufferPointer { dp in
                    for t in 0..<rows { g[t] += dot(dp.baseAddress! + t * d, xp.baseAddress! + t * d, d) }
                }
            }
        }
    }
}

/// Columns start..<start+count of every row: [T,D] -> [T,count].
public func sliceColumns(_ x: Tensor, start: Int, count: Int) -> Tensor {
    let d = x.lastDimension, rows = x.rowCount
    precondition(start >= 0 && count >= 0 && start + count <= d, "sliceColumns: \(start)..<\(start + count) outside 0..<\(d)")
    var out = Tensor(zeros: [rows, count])
    if count == 0 { return out }
    out.scalars.withUnsafeMutableBufferPointer { o in
        x.scalars.withUnsafeBufferPointer { xp in
            for t in 0..<rows { (o.baseAddress! + t * count).update(from: xp.baseAddress! + t * d + start, count: count) }
        }
    }
    return out
}

/// Rows start..<start+count: [T,D] -> [count,D] (one sequence's row of a batch).
public func sliceRows(_ x: Tensor, start: Int, count: Int) -> Tensor {
    let d = x.lastDimension
    precondition(start >= 0 && count >= 0 && start + count <= x.rowCount, "sliceRows: \(start)..<\(start + count) outside 0..<\(x.rowCount)")
    return Tensor(shape: [count, d], scalars: Array(x.scalars[(start * d)..<((start + count) * d)]))
}

/// Backward of sliceColumns: dx[t, start + j] += dout[t, j].
public func sliceColumnsBackward(dx: inout Tensor, dout: Tensor, start: Int) {
    let d = dx.lastDimension, rows = dx.rowCount, count = dout.lastDimension
    dx.scalars.withUnsafeMutableBufferPointer { g in
        dout.scalars.withUnsafeBufferPointer { dp in
            for t in 0..<rows {
                let dst = g.baseAddress! + t * d + start, src = dp.baseAddress! + t * count
                for j in 0..<count { dst[j] += src[j] }
            }
        }
    }
}
