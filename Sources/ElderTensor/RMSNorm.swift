// RMSNorm over the last axis.   x: [T,D]   weight: [D]   out: [T,D]
//   out[t,i] = x[t,i] * r_t * w[i],   r_t = 1 / sqrt(mean_i x[t,i]^2 + eps)

/// Root-mean-square normalization of each row, scaled by `weight`.
public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float) -> Tensor {
    let d = x.lastDimension, rows = x.rowCount
    precondition(weight.count == d, "rmsNorm: weight has \(weight.count) scalars, rows have \(d)")
    var out = Tensor(zeros: x.shape)
    out.scalars.withUnsafeMutableBufferPointer { o in
        x.scalars.withUnsafeBufferPointer { xp in
            weight.scalars.withUnsafeBufferPointer { w in
                for t in 0..<rows {
                    let xr = xp.baseAddress! + t * d, orow = o.baseAddress! + t * d
                    let r = 1 / (sumOfSquares(xr, d) / Float(d) + eps).squareRoot()
                    for i in 0..<d { orow[i] = xr[i] * r * w[i] }
                }
            }
        }
    }
    return out
}

/// Backward of rmsNorm: with g = dout * w,
///   dx[t,i] += r g_i - x_i r^3 (sum_j g_j x_j) / D,     dweight[i] += sum_t dout[t,i] x[t,i] r_t.
public func rmsNormBackward(dx: inout Tensor?, dweight: inout Tensor?, dout: Tensor, x: Tensor,
                            weight: Tensor, eps: Float) {
    let d = x.lastDimension, rows = x.rowCount
    precondition(dout.shape == x.shape, "rmsNormBackward: dout \(dout.shape) vs x \(x.shape)")
    var rs = [Float](repeating: 0, count: rows)
    x.scalars.withUnsafeBufferPointer { xp in
        for t in 0..<rows { rs[t] = 1 / (sumOfSquares(xp.baseAddress! + t * d, d) / Float(d) + eps).squareRoot() }
    }
    if dx != nil {
        var g = [Float](repeating: 0, count: d)
        dx!.scalars.withUnsafeMutableBufferPointer { dxp in
            x.scalars.withUnsafeBufferPointer { xp in
                dout.scalars.withUnsafeBufferPointer { dp in
                    weight.scalars.withUnsafeBufferPointer { w in
                        g.withUnsafeMutableBufferPointer { gp in
                            for t in 0..<rows {
                                let xr = xp.baseAddress! + t * d, dr = dp.baseAddress! + t * d
                                let out = dxp.baseAddress! + t * d
                                for i in 0..<d { gp[i] = dr[i] * w[i] }
                                let r = rs[t]
                                let c = dot(gp.baseAddress!, xr, d) * r * r * r / Float(d)
                                for i in 0..<d { out[i] += r * gp[i] - xr[i] * c }
                            }
                        }
                    }
                }
            }
        }
    }
    if dweight != nil {
        dweight!.scalars.withUnsafeMutableBufferPointer { dw in
            x.scalars.withUnsafeBufferPointer { xp in
                dout.scalars.withUnsafeBufferPointer { dp in
                    for t in 0..<rows {
                        let xr = xp.baseAddress! + t * d, dr = dp.baseAddress! + t * d
                        let r = rs[t]
                        for i in 0..<d { dw[i] += dr[i] * xr[i] * r }
                    }
                }
            }
        }
    }
}
