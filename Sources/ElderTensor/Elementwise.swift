// Elementwise kernels: add, mul, scale, SiLU and the SwiGLU product, forward and backward.
// All operands have one shape; backward kernels add into their gradient buffers.

@inline(__always)
func binary(_ a: Tensor, _ b: Tensor, _ name: String,
            _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
    precondition(a.shape == b.shape, "\(name): shapes \(a.shape) and \(b.shape) differ")
    var out = Tensor(zeros: a.shape)
    out.scalars.withUnsafeMutableBufferPointer { o in
        a.scalars.withUnsafeBufferPointer { ap in
            b.scalars.withUnsafeBufferPointer { bp in
                if o.count > 0 { body(ap.baseAddress!, bp.baseAddress!, o.baseAddress!, o.count) }
            }
        }
    }
    return out
}

/// a + b, same shape.
public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    binary(a, b, "add") { a, b, o, n in for i in 0..<n { o[i] = a[i] + b[i] } }
}

/// a * b elementwise, same shape.
public func mul(_ a: Tensor, _ b: Tensor) -> Tensor {
    binary(a, b, "mul") { a, b, o, n in for i in 0..<n { o[i] = a[i] * b[i] } }
}

/// x * s.
public func scale(_ x: Tensor, by s: Float) -> Tensor {
    var out = x
    out.scalars.withUnsafeMutableBufferPointer { o in for i in 0..<o.count { o[i] *= s } }
    return out
}

/// y += alpha * x, in place (the accumulation every backward kernel uses).
public func addScaled(into y: inout Tensor, _ x: Tensor, alpha: Float = 1) {
    precondition(y.shape == x.shape, "addScaled: shapes \(y.shape) and \(x.shape) differ")
    y.scalars.withUnsafeMutableBufferPointer { yp in
        x.scalars.withUnsafeBufferPointer { xp in
            if alpha == 1 {
                for i in 0..<yp.count { yp[i] += xp[i] }
            } else {
                for i in 0..<yp.count { yp[i] += alpha * xp[i] }
            }
        }
    }
}

/// silu(x) = x * sigmoid(x).
public func silu(_ x: Tensor) -> Tensor {
    var out = Tensor(zeros: x.shape)
    out.scalars.withUnsafeMutableBufferPointer { o in
        x.scalars.withUnsafeBufferPointer { xp in
            let n = o.count
            var i = 0
            while i + 8 <= n {
                let v = load8(xp.baseAddress! + i)
                store8(v / (1 + vexp(-v)), o.baseAddress! + i)
                i += 8
            }
            while i < n { o[i] = xp[i] / (1 + fexp(-xp[i])); i += 1 }
        }
    }
    return out
}

/// silu(gate) * up: the SwiGLU feed-forward product, [T,F].
public func swiglu(gate: Tensor, up: Tensor) -> Tensor {
    binary(gate, up, "swiglu") { g, u, o, n in
        var i = 0
        while i + 8 <= n {
            let gv = load8(g + i)
            store8(gv / (1 + vexp(-gv)) * load8(u + i), o + i)
            i += 8
        }
        while i < n { o[i] = g[i] / (1 + fexp(-g[i])) * u[i]; i += 1 }
    }
}

/// Backward of out = a * b: da += dout * b, db += dout * a (nil buffers skipped).
public func mulBackward(da: inout Tensor?, db: inout Tensor?, dout: Tensor, a: Tensor, b: Tensor) {
    if da != nil { addProduct(into: &da!, dout, b) }
    if db != nil { addProduct(into: &db!, dout, a) }
}

/// y += a * b elementwise, in place.
func addProduct(into y: inout Tensor, _ a: Tensor, _ b: Tensor) {
    precondition(y.shape == a.shape && a.shape == b.shape, "addProduct: shapes \(y.shape), \(a.shape), \(b.shape)")
    y.scalars.withUnsafeMutableBufferPointer { yp in
        a.scalars.withUnsafeBufferPointer { ap in
            b.scalars.withUnsafeBufferPointer { bp in
                for i in 0..<yp.count { yp[i] += ap[i] * bp[i] }
            }
        }
    }
}

/// Backward of silu: dx += dout * s * (1 + x * (1 - s)), s = sigmoid(x).
public func siluBackward(dx: inout Tensor, dout: Tensor, x: Tensor) {
    precondition(dx.shape == x.shape && dout.shape == x.shape, "siluBackward: shape mismatch")
    dx.scalars.withUnsafeMutableBufferPointer { d in
        x.scalars.withUnsafeBufferPointer { xp in
            dout.scalars.withUnsafeBufferPointer { g in
                let n = d.count
                var i = 0
                while i + 8 <= n {
                    let v = load8(xp.baseAddress! + i)
                    let s = 1 / (1 + vexp(-v))
                    let dv = load8(d.baseAddress! + i) + load8(g.baseAddress! + i) * s * (1 + v * (1 - s))
                    store8(dv, d.baseAddress! + i)
                    i += 8
                }
                while i < n {
                    let s = 1 / (1 + fexp(-xp[i]))
                    d[i] += g[i] * s * (1 + xp[i] * (1 - s))
                    i += 1
                }
            }
        }
    }
}

/// Backward of out = silu(gate) * up, one fused pass (s = sigmoid(gate)):
///   dgate += dout * up * s * (1 + gate * (1 - s)),   dup += dout * gate * s.
public func swigluBackward(dgate: inout Tensor?, dup: inout Tensor?, dout: Tensor, gate: Tensor, up: Tensor) {
    precondition(gate.shape == up.shape && dout.shape == gate.shape, "swigluBackward: shape mismatch")
    if dgate == nil && dup == nil { return }
    let n = gate.count
    // Local buffers so each gradient is borrowed once; an empty one stands for "not wanted".
    var dg = dgate?.scalars ?? [], du = dup?.scalars ?? []
    let wantG = dgate != nil, wantU = dup != nil
    dgate = nil; dup = nil
    gate.scalars.withUnsafeBufferPointer { gp in
    up.scalars.withUnsafeBufferPointer { upp in
    dout.scalars.withUnsafeBufferPointer { dp in
    dg.withUnsafeMutableBufferPointer { dgp in
    du.withUnsafeMutableBufferPointer { dup in
        let g = gp.baseAddress!, u = upp.baseAddress!, d = dp.baseAddress!
        var i = 0
        while i + 8 <= n {
            let gv = load8(g + i), dv = load8(d + i)
            let s = 1 / (1 + vexp(-gv))
            if wantG { store8(load8(dgp.baseAddress! + i) + dv * load8(u + i) * s * (1 + gv * (1 - s)), dgp.baseAddress! + i) }
            if wantU { store8(load8(dup.baseAddress! + i) + dv * gv * s, dup.baseAddress! + i) }
            i += 8
        }
        while i < n {
            let s = 1 / (1 + fexp(-g[i]))
            if wantG { dgp[i] += d[i] * u[i] * s * (1 + g[i] * (1 - s)) }
            if wantU { dup[i] += d[i] * g[i] * s }
            i += 1
        }
    }}}}}
    if wantG { dgate = Tensor(shape: gate.shape, scalars: dg) }
    if wantU { dup = Tensor(shape: up.shape, scalars: du) }
}
