// The tape's operations: each calls the forward kernel and records the matching backward kernel.

extension Tape {
    /// op(a) x op(b) (see `matmul`).
    public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
        let y = ElderTensor.matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB)
        return record(y, [a, b]) { dy in
            var da = a.takeGrad(), db = b.takeGrad()
            matmulBackward(da: &da, db: &db, dc: dy, a: a.value, b: b.value, transposeA: transposeA, transposeB: transposeB)
            a.restoreGrad(da); b.restoreGrad(db)
        }
    }

    /// Rows `ids` of `table` [V,D] -> [T,D]; also gathers hidden rows (e.g. only the positions a loss reads).
    public func embedding(_ table: Variable, ids: [Int]) -> Variable {
        record(ElderTensor.embedding(table.value, ids: ids), [table]) { dy in
            var dt = table.takeGrad()!
            embeddingBackward(dtable: &dt, dout: dy, ids: ids)
            table.restoreGrad(dt)
        }
    }

    /// Rows `rows` of x [R,D] -> [rows.count, D]; backward scatters into the gathered rows only.
    public func gatherRows(_ x: Variable, _ rows: [Int]) -> Variable { embedding(x, ids: rows) }

    /// a + b.
    public func add(_ a: Variable, _ b: Variable) -> Variable {
        record(ElderTensor.add(a.value, b.value), [a, b]) { dy in
            if a.requiresGrad { a.restoreGrad(dy) }
            if b.requiresGrad { b.restoreGrad(dy) }
        }
    }

    /// a * b elementwise.
    public func mul(_ a: Variable, _ b: Variable) -> Variable {
        record(ElderTensor.mul(a.value, b.value), [a, b]) { dy in
            var da = a.takeGrad(), db = b.takeGrad()
            mulBackward(da: &da, db: &db, dout: dy, a: a.value, b: b.value)
            a.restoreGrad(da); b.restoreGrad(db)
        }
    }

    /// x * s for a constant scalar s.
    public func scale(_ x: Variable, by s: Float) -> Variable {
        record(ElderTensor.scale(x.value, by: s), [x]) { dy in x.restoreGrad(ElderTensor.scale(dy, by: s)) }
    }

    /// The same values under another shape.
    public func reshaped(_ x: Variable, _ shape: [Int]) -> Variable {
        let old = x.value.shape
        return record(x.value.reshaped(shape), [x]) { dy in x.restoreGrad(dy.reshaped(old)) }
    }

    /// Sum of all elements -> [1].
    public func sum(_ x: Variable) -> Variable {
        let s = Float(sumOfScalars(x.value))
        return record(Tensor(shape: [1], scalars: [s]), [x]) { dy in
            x.restoreGrad(Tensor(repeating: dy.scalars[0], shape: x.value.shape))
        }
    }

    /// RMSNorm of each row of x [T,D] scaled by weight [D].
    public func rmsNorm(_ x: Variable, weight: Variable, eps: Float) -> Variable {
        record(ElderTensor.rmsNorm(x.value, weight: weight.value, eps: eps), [x, weight]) { dy in
            var dx = x.takeGrad(), dw = weight.takeGrad()
            rmsNormBackward(dx: &dx, dweight: &dw, dout: dy, x: x.value, weight: weight.value, eps: eps)
            x.restoreGrad(dx); weight.restoreGrad(dw)
        }
    }

    /// Rotary position embedding (see `rope`).
    public func rope(_ x: Variable, heads: Int, headDim: Int, positions: [Int], base: Float, style: RopeStyle) -> Variable {
        let y = ElderTensor.rope(x.value, heads: heads, headDim: headDim, positions: positions, base: base, style: style)
        return record(y, [x]) { dy in
            var dx = x.takeGrad()!
            ropeBackward(dx: &dx, dout: dy, heads: heads, headDim: headDim, positions: positions, base: base, style: style)
            x.restoreGrad(dx)
        }
    }

    /// x * sigmoid(x).
    public func silu(_ x: Variable) -> Variable {
        record(ElderTensor.silu(x.value), [x]) { dy in
            var dx = x.takeGrad()!
            siluBackward(dx: &dx, dout: dy, x: x.value)
            x.restoreGrad(dx)
        }
    }

    /// silu(gate) * up.
    public func swiglu(gate: Variable, up: Variable) -> Variable {
        record(ElderTensor.swiglu(gate: gate.value, up: up.value), [gate, up]) { dy in
            var dg = gate.takeGrad(), du = up.takeGrad()
            swigluBackward(dgate: &dg, dup: &du, dout: dy, gate: gate.value, up: up.value)
            gate.restoreGrad(dg); up.restoreGrad(du)
        }
    }

    /// Causal grouped-query attention (see `attention`).
    public func attention(q: Variable, k: Variable, v: Variable, heads: Int, kvHeads: Int, headDim: Int,
                          queryOffset: Int, scale: Float? = nil, window: Int? = nil) -> Variable {
        let y = ElderTensor.attention(q: q.value, k: k.value, v: v.value, heads: heads, kvHeads: kvHeads,
                                      headDim: headDim, queryOffset: queryOffset, scale: scale, window: window)
        return record(y, [q, k, v]) { dy in
            var dq = q.takeGrad(), dk = k.takeGrad(), dv = v.takeGrad()
            attentionBackward(dq: &dq, dk: &dk, dv: &dv, dout: dy, q: q.value, k: k.value, v: v.value,
                              heads: heads, kvHeads: kvHeads, headDim: headDim, queryOffset: queryOffset,
                              scale: scale, window: window)
            q.restoreGrad(dq); k.restoreGrad(dk); v.restoreGrad(dv)
        }
    }

    /// Softmax over the last axis.
    public func softmax(_ x: Variable) -> Variable {
        let y = ElderTensor.softmax(x.value)
        return record(y, [x]) { dy in
            var dx = x.takeGrad()!
            softmaxBackward(dx: &dx, dout: dy, out: y)
            x.restoreGrad(dx)
        }
    }

    /// Log-softmax over the last axis.
    public func logSoftmax(_ x: Variable) -> Variable {
        let y = ElderTensor.logSoftmax(x.value)
        return record(y, [x]) { dy in
            var dx = x.takeGrad()!
            logSoftmaxBackward(dx: &dx, dout: dy, out: y)
            x.restoreGrad(dx)
        }
    }

    /// Mean cross-entropy of logits [T,V] at the selected (position, token) pairs -> [1].
    public func crossEntropy(_ logits: Variable, targets: [CrossEntropyTarget]) -> Variable {
        let loss = ElderTensor.crossEntropy(logits.value, targets: targets)
        return record(Tensor(shape: [1], scalars: [loss]), [logits]) { dy in
            var dl = logits.takeGrad()!
            crossEntropyBackward(dlogits: &dl, dloss: dy.scalars[0], logits: logits.value, targets: targets)
            logits.restoreGrad(dl)
        }
    }
}

extension Tape {
    /// Each row of x [T,D] scaled by its weight in w [T] (or [T,1]).
    public func scaleRows(_ x: Variable, by w: Variable) -> Variable {
        record(ElderTensor.scaleRows(x.value, by: w.value), [x, w]) { dy in
            var dx = x.takeGrad(), dw = w.takeGrad()
            scaleRowsBackward(dx: &dx, dw: &dw, dout: dy, x: x.value, w: w.value)
            x.restoreGrad(dx); w.restoreGrad(dw)
        }
    }

    /// Columns start..<start+count of every row: [T,D] -> [T,count].
    public func sliceColumns(_ x: Variable, start: Int, count: Int) -> Variable {
        record(ElderTensor.sliceColumns(x.value, start: start, count: count), [x]) { dy in
            var dx = x.takeGrad()!
            sliceColumnsBackward(dx: &dx, dout: dy, start: start)
            x.restoreGrad(dx)
        }
    }
}
