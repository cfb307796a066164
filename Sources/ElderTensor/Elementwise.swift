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
    if da != nil { addScaled(into: &da!, mul(dout, b)) }
    if db != nil { addScaled(into: &db!, mul(dout, a)) }
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

/// Backward of out = silu(gate) * up: dgate += dout * up * silu'(gate), dup += dout * silu(gate).
public func swigluBackward(dgate: inout Tensor?, dup: inout Tensor?, dout: Tensor, gate: Tensor, up: Tensor) {
    if dgate != nil { siluBackward(dx: &dgate!, dout: mul(dout, up), x: gate) }
    if dup != nil { addScaled(into: &dup!, mul(dout, silu(gate))) }
}
