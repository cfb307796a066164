// Causal softmax attention with grouped-query heads, one sgemm pair per head on strided views.
//   q: [T, Hq*hd]   k, v: [S, Hkv*hd]   out: [T, Hq*hd]
//   query head h reads key/value head h / (Hq/Hkv); query row t sits at absolute position
//   queryOffset + t and sees keys 0...queryOffset+t, so only the first L = queryOffset + T key rows matter.
//   Per head: P = softmax_causal(Q_h K_gᵀ · scale) [T,L],   O_h = P V_g;  scale = 1/sqrt(hd) unless given.
//   A sliding window W (local attention) hides keys more than W-1 positions behind the query as well:
//   query position p sees keys max(0, p-W+1)...p.

/// Shape checks shared by the forward and backward kernels; returns (T, L, group size).
func attentionSizes(q: Tensor, k: Tensor, v: Tensor, heads: Int, kvHeads: Int, headDim: Int,
                    queryOffset: Int) -> (t: Int, l: Int, group: Int) {
    precondition(heads > 0 && kvHeads > 0 && heads % kvHeads == 0, "attention: \(heads) heads not a multiple of \(kvHeads) KV heads")
    precondition(q.lastDimension == heads * headDim, "attention: q rows \(q.lastDimension) != \(heads)x\(headDim)")
    precondition(k.lastDimension == kvHeads * headDim && v.shape == k.shape, "attention: k \(k.shape) / v \(v.shape) vs \(kvHeads)x\(headDim)")
    let t = q.rowCount, l = queryOffset + t
    precondition(queryOffset >= 0 && k.rowCount >= l, "attention: \(k.rowCount) key rows, queries need \(l)")
    return (t, l, heads / kvHeads)
}

/// The keys query row `row` sees: first..<end.
@inline(__always)
func visibleKeys(row: Int, queryOffset: Int, window: Int?) -> (first: Int, end: Int) {
    let end = queryOffset + row + 1
    return (window.map { max(0, end - $0) } ?? 0, end)
}

/// P[T,L] = causal (and windowed) softmax of Q_h K_gᵀ * scale for one head; masked entries are 0.
@inline(__always)
func attentionProbabilities(_ p: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, ldq: Int,
                            k: UnsafePointer<Float>, ldk: Int, t: Int, l: Int, headDim: Int, queryOffset: Int,
                            scale: Float, window: Int?) {
    BLAS.sgemm(transposeA: false, transposeB: true, m: t, n: l, k: headDim, alpha: scale,
               a: q, lda: ldq, b: k, ldb: ldk, beta: 0, c: p, ldc: l)
    for row in 0..<t {
        let (first, end) = visibleKeys(row: row, queryOffset: queryOffset, window: window)
        let pr = p + row * l
        for j in 0..<first { pr[j] = 0 }
        softmaxRow(pr + first, pr + first, end - first)
        for j in end..<l { pr[j] = 0 }
    }
}

/// Causal grouped-query attention (see the file header for shapes, `scale` and `window`).
public func attention(q: Tensor, k: Tensor, v: Tensor, heads: Int, kvHeads: Int, headDim: Int,
                      queryOffset: Int, scale: Float? = nil, window: Int? = nil) -> Tensor {
    let scale = scale ?? 1 / Float(headDim).squareRoot()
    let (t, l, group) = attentionSizes(q: q, k: k, v: v, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                       queryOffset: queryOffset)
    var out = Tensor(zeros: [t, heads * headDim])
    if t == 0 { return out }
    let ldq = heads * headDim, ldk = kvHeads * headDim
    var probs = [Float](repeating: 0, count: t * l)
    out.scalars.withUnsafeMutableBufferPointer { o in
        q.scalars.withUnsafeBufferPointer { qp in
            k.scalars.withUnsafeBufferPointer { kp in
                v.scalars.withUnsafeBufferPointer { vp in
                    probs.withUnsafeMutableBufferPointer { pp in
                        for h in 0..<heads {
                            let g = h / group
                            attentionProbabilities(pp.baseAddress!, q: qp.baseAddress! + h * headDim, ldq: ldq,
                                                   k: kp.baseAddress! + g * headDim, ldk: ldk, t: t, l: l,
                                                   headDim: headDim, queryOffset: queryOffset, scale: scale, window: window)
                            BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: headDim, k: l, alpha: 1,
                                       a: pp.baseAddress!, lda: l, b: vp.baseAddress! + g * headDim, ldb: ldk,
                                       beta: 0, c: o.baseAddress! + h * headDim, ldc: ldq)
                        }
                    }
                }
            }
        }
    }
    return out
}

/// Backward of attention: adds into dq [T,Hq*hd], dk and dv [S,Hkv*hd] (nil buffers skipped).
/// Probabilities are recomputed per head, so nothing is stored between forward and backward.
///   dV_g += Pᵀ dO_h;  dP = dO_h V_gᵀ;  dS = P ∘ (dP - rowsum(P ∘ dP));  dQ_h += s dS K_g;  dK_g += s dSᵀ Q_h
public func attentionBackward(dq: inout Tensor?, dk: inout Tensor?, dv: inout Tensor?, dout: Tensor,
                              q: Tensor, k: Tensor, v: Tensor, heads: Int, kvHeads: Int, headDim: Int,
                              queryOffset: Int, scale: Float? = nil, window: Int? = nil) {
    let (t, l, group) = attentionSizes(q: q, k: k, v: v, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                       queryOffset: queryOffset)
    precondition(dout.shape == [t, heads * headDim], "attentionBackward: dout \(dout.shape)")
    if t == 0 || (dq == nil && dk == nil && dv == nil) { return }
    let ldq = heads * headDim, ldk = kvHeads * headDim
    let scale = scale ?? 1 / Float(headDim).squareRoot()
    var probs = [Float](repeating: 0, count: t * l), dprobs = probs
    // Work on local buffers so each gradient is borrowed once; empty ones stand in for nil.
    var dqs = dq?.scalars ?? [], dks = dk?.scalars ?? [], dvs = dv?.scalars ?? []
    dq = nil; dk = nil; dv = nil
    let wantQ = !dqs.isEmpty, wantK = !dks.isEmpty, wantV = !dvs.isEmpty
    q.scalars.withUnsafeBufferPointer { qp in
    k.scalars.withUnsafeBufferPointer { kp in
    v.scalars.withUnsafeBufferPointer { vp in
    dout.scalars.withUnsafeBufferPointer { gp in
    probs.withUnsafeMutableBufferPointer { pp in
    dprobs.withUnsafeMutableBufferPointer { dpp in
    dqs.withUnsafeMutableBufferPointer { dqp in
    dks.withUnsafeMutableBufferPointer { dkp in
    dvs.withUnsafeMutableBufferPointer { dvp in
        let p = pp.baseAddress!, dp = dpp.baseAddress!
        for h in 0..<heads {
            let g = h / group
            let qh = qp.baseAddress! + h * headDim, kg = kp.baseAddress! + g * headDim
            let vg = vp.baseAddress! + g * headDim, gh = gp.baseAddress! + h * headDim
            attentionProbabilities(p, q: qh, ldq: ldq, k: kg, ldk: ldk, t: t, l: l, headDim: headDim,
                                   queryOffset: queryOffset, scale: scale, window: window)
            if wantV {
                BLAS.sgemm(transposeA: true, transposeB: false, m: l, n: headDim, k: t, alpha: 1, a: p, lda: l,
                           b: gh, ldb: ldq, beta: 1, c: dvp.baseAddress! + g * headDim, ldc: ldk)
            }
            if !(wantQ || wantK) { continue }
            BLAS.sgemm(transposeA: false, transposeB: true, m: t, n: l, k: headDim, alpha: 1, a: gh, lda: ldq,
                       b: vg, ldb: ldk, beta: 0, c: dp, ldc: l)
            for row in 0..<t {
                let visible = queryOffset + row + 1
                let pr = p + row * l, dr = dp + row * l
                let s = dot(pr, dr, visible)
                for j in 0..<visible { dr[j] = pr[j] * (dr[j] - s) }
                for j in visible..<l { dr[j] = 0 }
            }
            if wantQ {
                BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: headDim, k: l, alpha: scale, a: dp, lda: l,
                           b: kg, ldb: ldk, beta: 1, c: dqp.baseAddress! + h * headDim, ldc: ldq)
            }
            if wantK {
                BLAS.sgemm(transposeA: true, transposeB: false, m: l, n: headDim, k: t, alpha: scale, a: dp, lda: l,
                           b: qh, ldb: ldq, beta: 1, c: dkp.baseAddress! + g * headDim, ldc: ldk)
            }
        }
    }}}}}}}}}
    if wantQ { dq = Tensor(shape: q.shape, scalars: dqs) }
    if wantK { dk = Tensor(shape: k.shape, scalars: dks) }
    if wantV { dv = Tensor(shape: v.shape, scalars: dvs) }
}
