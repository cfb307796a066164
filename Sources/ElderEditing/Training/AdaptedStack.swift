import ElderModel
import ElderTensor

/// Where each sequence's rows sit in the stacked matrix the adapted blocks work on.
public struct RowLayout: Sendable {
    /// Rows of sequence s: `ranges[s]`.
    public let ranges: [Range<Int>]
    /// Absolute position of every stacked row.
    public let positions: [Int]
    /// First adapted position of every sequence (rows start there).
    public let spanStarts: [Int]

    public var rowCount: Int { positions.count }
}

/// What an editor adds at an adapted block's `down_proj`: given the SwiGLU activation v [R, F] and the
/// frozen output W0·v [R, D] (both on the tape), the new output [R, D].
public typealias DownProjAdapter = (_ layer: Int, _ v: Variable, _ frozen: Variable, _ layout: RowLayout) -> Variable

/// The blocks from the first adapted one up, the final norm and the LM head, run on the tape over the
/// adapted spans of a batch, with an editor's adapter at `down_proj`. Frozen weights are tape constants:
/// only input gradients flow through them.
struct AdaptedStack {
    let model: LlamaModel
    /// Blocks with an adapter at `down_proj`; the stack starts at the lowest.
    let adaptedLayers: Set<Int>

    var firstAdapted: Int { adaptedLayers.min() ?? 0 }

    /// The mean cross-entropy of every sequence's target tokens, and the logits of those rows [P, V] with
    /// the target token of each row.
    func loss(tape: Tape, batch: [PreparedSequence], adapter: DownProjAdapter) -> (loss: Variable, logits: Tensor, targets: [Int]) {
        var ranges: [Range<Int>] = [], positions: [Int] = [], stacked: [Float] = []
        for p in batch {
            let start = positions.count
            positions += Array(p.spanStart..<p.sequence.tokens.count)
            ranges.append(start..<positions.count)
            stacked += p.suffixResidual.scalars
        }
        let layout = RowLayout(ranges: ranges, positions: positions, spanStarts: batch.map(\.spanStart))
        let d = model.configuration.hiddenSize
        var x = tape.constant(Tensor(shape: [positions.count, d], scalars: stacked))
        for i in firstAdapted..<model.blocks.count {
            x = block(i, x, tape: tape, batch: batch, layout: layout, adapter: adapter)
        }
        let c = model.configuration
        let normed = tape.rmsNorm(x, weight: tape.constant(model.finalNorm), eps: c.rmsNormEpsilon)
        // Only rows that predict a target token reach the LM head.
        var rows: [Int] = [], targets: [Int] = []
        for (s, p) in batch.enumerated() {
            for (position, token) in p.sequence.targetPredictions {
                rows.append(ranges[s].lowerBound + position - p.spanStart)
                targets.append(token)
            }
        }
        let selected = tape.embedding(normed, ids: rows)
        let logits = tape.matmul(selected, tape.constant(model.head), transposeB: true)     // [P, V]
        let loss = tape.crossEntropy(logits, targets: targets.enumerated().map { (position: $0.offset, token: $0.element) })
        return (loss, logits.value, targets)
    }

    /// The block's forward pass on the tape: the same arithmetic as `LlamaBlock.forward` (norms, per-head
    /// q/k norms, RoPE with the block's base, windowed attention, post-norms, SwiGLU or GeGLU).
    private func block(_ i: Int, _ x: Variable, tape: Tape, batch: [PreparedSequence], layout: RowLayout,
                       adapter: DownProjAdapter) -> Variable {
        let blk = model.blocks[i]
        let c = model.configuration
        let att = blk.attention
        let eps = c.rmsNormEpsilon, hd = c.headDimension
        func headNorm(_ y: Variable, _ weight: Tensor?) -> Variable {
            guard let weight else { return y }
            let shape = y.shape
            return tape.reshaped(tape.rmsNorm(tape.reshaped(y, [y.value.count / hd, hd]), weight: tape.constant(weight), eps: eps), shape)
        }
        func postNorm(_ y: Variable, _ weight: Tensor?) -> Variable {
            weight.map { tape.rmsNorm(y, weight: tape.constant($0), eps: eps) } ?? y
        }
        let xn = tape.rmsNorm(x, weight: tape.constant(blk.attentionNorm), eps: eps)
        let q = tape.rope(headNorm(tape.matmul(xn, tape.constant(att.wq), transposeB: true), att.queryNorm), heads: c.headCount,
                          headDim: hd, positions: layout.positions, base: att.ropeBase, style: c.ropeStyle.style)
        let k = tape.rope(headNorm(tape.matmul(xn, tape.constant(att.wk), transposeB: true), att.keyNorm), heads: c.kvHeadCount,
                          headDim: hd, positions: layout.positions, base: att.ropeBase, style: c.ropeStyle.style)
        let v = tape.matmul(xn, tape.constant(att.wv), transposeB: true)
        var mixed: [Variable] = []
        for (s, p) in batch.enumerated() {
            let range = layout.ranges[s]
            let keys = tape.concatRows([tape.constant(p.prefixKeys[i - firstAdapted]), tape.rows(k, range)])
            let values = tape.concatRows([tape.constant(p.prefixValues[i - firstAdapted]), tape.rows(v, range)])
            mixed.append(tape.attention(q: tape.rows(q, range), k: keys, v: values, heads: c.headCount,
                                        kvHeads: c.kvHeadCount, headDim: hd, queryOffset: p.spanStart,
                                        scale: c.block.attentionScale, window: att.window))
        }
        let a = tape.matmul(tape.concatRows(mixed), tape.constant(att.wo), transposeB: true)
        let h = tape.add(x, postNorm(a, blk.postAttentionNorm))
        let hn = tape.rmsNorm(h, weight: tape.constant(blk.mlpNorm), eps: eps)
        let gate = tape.matmul(hn, tape.constant(blk.mlp.gate), transposeB: true)
        let up = tape.matmul(hn, tape.constant(blk.mlp.up), transposeB: true)
        let act: Variable
        switch blk.mlp.kind {
        case .swiGLU: act = tape.swiglu(gate: gate, up: up)
        case .geGLUTanh: act = tape.geglu(gate: gate, up: up)
        }
        let frozen = tape.matmul(act, tape.constant(blk.mlp.down), transposeB: true)
        return tape.add(h, postNorm(adaptedLayers.contains(i) ? adapter(i, act, frozen, layout) : frozen, blk.postMLPNorm))
    }
}
