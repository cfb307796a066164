import Foundation

// GeGLU, the gated feed-forward product of Gemma:  out = gelu_tanh(gate) * up,   gate, up, out: [T,F]
//   gelu_tanh(x) = 0.5 x (1 + tanh(z)),  z = sqrt(2/π) (x + 0.044715 x³)
//                = x σ(2z)   (as 0.5 (1 + tanh z) = σ(2z)), which is how it is computed here.
//   d/dx gelu_tanh(x) = σ(2z) + x σ(2z) (1 - σ(2z)) · 2 z'(x),   z'(x) = sqrt(2/π) (1 + 3·0.044715 x²)

let geluC: Float = 0.797_884_56  // sqrt(2/π)
let geluA: Float = 0.044_715

/// gelu_tanh(gate) * up: the GeGLU feed-forward product, [T,F].
public func geglu(gate: Tensor, up: Tensor) -> Tensor {
    binary(gate, up, "geglu") { g, u, o, n in
        let c2 = SIMD8<Float>(repeating: 2 * geluC), a = SIMD8<Float>(repeating: geluA)
        var i = 0
        while i + 8 <= n {
            let x = load8(g + i)
            let twoZ = c2 * x.addingProduct(a * x, x * x)
            store8(x / (1 + vexp(-twoZ)) * load8(u + i), o + i)
            i += 8
        }
        while i < n {
            let x = g[i]
            o[i] = x / (1 + fexp(-2 * geluC * (x + geluA * x * x * x))) * u[i]
            i += 1
        }
    }
}

/// Backward of out = gelu_tanh(gate) * up (s = σ(2z)):
///   dgate += dout * up * (s + x s (1 - s) 2 z'(x)),   dup += dout * gelu_tanh(gate).
public func gegluBackward(dgate: inout Tensor?, dup: inout Tensor?, dout: Tensor, gate: Tensor, up: Tensor) {
    precondition(gate.shape == up.shape && dout.shape == gate.shape, "gegluBackward: shape mismatch")
    if dgate == nil && dup == nil { return }
    var dg = dgate?.scalars ?? [], du = dup?.scalars ?? []
    let wantG = dgate != nil, wantU = dup != nil
    dgate = nil; dup = nil
    gate.scalars.withUnsafeBufferPointer { gp in
    up.scalars.withUnsafeBufferPointer { upp in
    dout.scalars.withUnsafeBufferPointer { dp in
    dg.withUnsafeMutableBufferPointer { dgp in
    du.withUnsafeMutableBufferPointer { dup in
        for i in 0..<gate.count {
            let x = gp[i]
            let s = 1 / (1 + fexp(-2 * geluC * (x + geluA * x * x * x)))
            if wantG {
                let dz = geluC * (1 + 3 * geluA * x * x)
                dgp[i] += dp[i] * upp[i] * (s + x * s * (1 - s) * 2 * dz)
            }
            if wantU { dup[i] += dp[i] * x * s }
        }
    }}}}}
    if wantG { dgate = Tensor(shape: gate.shape, scalars: dg) }
    if wantU { dup = Tensor(shape: up.shape, scalars: du) }
}

extension Tape {
    /// gelu_tanh(gate) * up (see `geglu`).
    public func geglu(gate: Variable, up: Variable) -> Variable {
        record(ElderTensor.geglu(gate: gate.value, up: up.value), [gate, up]) { dy in
            var dg = gate.takeGrad(), du = up.takeGrad()
            gegluBackward(dgate: &dg, dup: &du, dout: dy, gate: gate.value, up: up.value)
            gate.restoreGrad(dg); up.restoreGrad(du)
        }
    }
}
