import ElderTensor

// The decoder, read top to bottom: Attention -> MLP -> Block -> Model. It runs the LLaMA block and what a
// `BlockDescription` adds to it (Gemma 3: GeGLU, q/k norms, post-norms, scaled embeddings, local layers).
// Dimension letters: T tokens, S cached + new positions, D hidden size, F intermediate size,
// V vocabulary, Hq / Hkv query / key-value heads, hd head dimension. Weights are [out, in] (a row per
// output), so a projection is y = x Wᵀ. Generation state (the KV cache) lives outside the model.

/// Grouped-query self-attention with rotary positions (per-head q/k norms and a sliding window if the
/// block description has them).
public struct LlamaAttention: Sendable {
    public var queryProjection: Weight    // [Hq*hd, D]
    public var keyProjection: Weight      // [Hkv*hd, D]
    public var valueProjection: Weight    // [Hkv*hd, D]
    public var outputProjection: Weight   // [D, Hq*hd]
    /// The float32 values of the projections (made from the blocks and kept on first read); setting one
    /// makes it a float32 matrix.
    public var wq: Tensor { get { queryProjection.float } set { queryProjection = Weight(newValue) } }
    public var wk: Tensor { get { keyProjection.float } set { keyProjection = Weight(newValue) } }
    public var wv: Tensor { get { valueProjection.float } set { valueProjection = Weight(newValue) } }
    public var wo: Tensor { get { outputProjection.float } set { outputProjection = Weight(newValue) } }
    /// RMSNorm weights of each query and key head [hd] (`block.queryKeyNorm`), else nil.
    public var queryNorm: Tensor?
    public var keyNorm: Tensor?
    public let configuration: LlamaConfiguration
    /// The block this attention belongs to (local or global, its RoPE base).
    public let layer: Int
    public init(wq: Tensor, wk: Tensor, wv: Tensor, wo: Tensor, configuration: LlamaConfiguration, layer: Int = 0,
                queryNorm: Tensor? = nil, keyNorm: Tensor? = nil) {
        self.init(query: Weight(wq), key: Weight(wk), value: Weight(wv), output: Weight(wo), configuration: configuration,
                  layer: layer, queryNorm: queryNorm, keyNorm: keyNorm)
    }

    public init(query: Weight, key: Weight, value: Weight, output: Weight, configuration: LlamaConfiguration, layer: Int = 0,
                queryNorm: Tensor? = nil, keyNorm: Tensor? = nil) {
        (queryProjection, keyProjection, valueProjection, outputProjection) = (query, key, value, output)
        (self.configuration, self.layer, self.queryNorm, self.keyNorm) = (configuration, layer, queryNorm, keyNorm)
    }

    /// The RoPE base of this block.
    public var ropeBase: Float { configuration.block.ropeBase(layer, global: configuration.ropeBase) }
    /// The sliding window of this block (nil: global).
    public var window: Int? { configuration.block.window(layer) }

    /// Queries [T, Hq*hd] and keys [T, Hkv*hd] of x, normalized per head if the block says so, rotated.
    public func queriesAndKeys(_ x: Tensor, positions: [Int], rule: BlockProductRule = .fewRows) -> (q: Tensor, k: Tensor) {
        normalizedAndRotated(linear(x, queryProjection, rule: rule), linear(x, keyProjection, rule: rule), positions: positions)
    }

    /// The projected queries q and keys k, normalized per head if the block says so, rotated.
    func normalizedAndRotated(_ q: Tensor, _ k: Tensor, positions: [Int]) -> (q: Tensor, k: Tensor) {
        let c = configuration
        var (q, k) = (q, k)
        if let queryNorm { q = headNorm(q, weight: queryNorm) }
        if let keyNorm { k = headNorm(k, weight: keyNorm) }
        return (rope(q, heads: c.headCount, headDim: c.headDimension, positions: positions, base: ropeBase, style: c.ropeStyle.style),
                rope(k, heads: c.kvHeadCount, headDim: c.headDimension, positions: positions, base: ropeBase, style: c.ropeStyle.style))
    }

    /// RMSNorm over each head of the rows of x [T, H*hd].
    func headNorm(_ x: Tensor, weight: Tensor) -> Tensor {
        let hd = configuration.headDimension
        return rmsNorm(x.reshaped([x.count / hd, hd]), weight: weight, eps: configuration.rmsNormEpsilon).reshaped(x.shape)
    }

    /// x [T, D] (already normalized) at absolute `positions` -> [T, D]. With a cache, the new keys and
    /// values are appended and the queries attend to every cached position; `positions` must then
    /// continue the cache (positions[0] == cache.count).
    public func forward(_ x: Tensor, positions: [Int], cache: LayerKVCache?) -> Tensor {
        let c = configuration
        let (q, k, v) = project(x, positions: positions)                                    // [T, Hq*hd], [T, Hkv*hd] ×2
        let mixed: Tensor                                                                        // [T, Hq*hd]
        if let cache {
            precondition(positions.first == cache.count, "LlamaAttention: positions must continue the cache")
            let offset = cache.count
            cache.append(keys: k, values: v)
            mixed = attention(q: q, k: cache.keys, v: cache.values, heads: c.headCount, kvHeads: c.kvHeadCount,
                              headDim: c.headDimension, queryOffset: offset, scale: c.block.attentionScale, window: window)
        } else {
            mixed = attention(q: q, k: k, v: v, heads: c.headCount, kvHeads: c.kvHeadCount,
                              headDim: c.headDimension, queryOffset: 0, scale: c.block.attentionScale, window: window)
        }
        return linear(mixed, outputProjection)
    }

    /// Queries q [T, Hq*hd] and keys k [T, Hkv*hd] with rotary positions, and values v [T, Hkv*hd], of x [T, D].
    /// Reading the blocks (see `rule`), the three products are one job over them (x quantized once).
    func project(_ x: Tensor, positions: [Int], rule: BlockProductRule = .fewRows) -> (q: Tensor, k: Tensor, v: Tensor) {
        if x.rowCount <= rule.blockRowLimit, let pq = queryProjection.packed, let pk = keyProjection.packed,
           let pv = valueProjection.packed {
            let qkv = PackedMatrix.apply([pq, pk, pv], to: x)
            let (q, k) = normalizedAndRotated(qkv[0], qkv[1], positions: positions)
            return (q, k, qkv[2])
        }
        let (q, k) = queriesAndKeys(x, positions: positions, rule: rule)
        return (q, k, linear(x, valueProjection, rule: rule))
    }
}

/// The gated feed-forward network: down(act(gate x) * up x), act = SiLU (SwiGLU) or tanh-GELU (GeGLU).
public struct LlamaMLP: Sendable {
    public var gateProjection: Weight   // [F, D]
    public var upProjection: Weight     // [F, D]
    public var downProjection: Weight   // [D, F]
    public let kind: BlockDescription.FeedForward
    /// The float32 values (see LlamaAttention.wq).
    public var gate: Tensor { get { gateProjection.float } set { gateProjection = Weight(newValue) } }
    public var up: Tensor { get { upProjection.float } set { upProjection = Weight(newValue) } }
    public var down: Tensor { get { downProjection.float } set { downProjection = Weight(newValue) } }

    public init(gate: Tensor, up: Tensor, down: Tensor, kind: BlockDescription.FeedForward = .swiGLU) {
        self.init(gate: Weight(gate), up: Weight(up), down: Weight(down), kind: kind)
    }

    public init(gate: Weight, up: Weight, down: Weight, kind: BlockDescription.FeedForward = .swiGLU) {
        (gateProjection, upProjection, downProjection, self.kind) = (gate, up, down, kind)
    }

    /// The gated activation v [T, F] that enters the down projection (the editor's key vector).
    /// Reading the blocks (see `rule`), gate and up are one job over them (x quantized once).
    public func activation(_ x: Tensor, rule: BlockProductRule = .fewRows) -> Tensor {
        let g: Tensor, u: Tensor
        if x.rowCount <= rule.blockRowLimit, let pg = gateProjection.packed, let pu = upProjection.packed {
            let gu = PackedMatrix.apply([pg, pu], to: x)
            (g, u) = (gu[0], gu[1])
        } else {
            (g, u) = (linear(x, gateProjection, rule: rule), linear(x, upProjection, rule: rule))
        }
        switch kind {
        case .swiGLU: return swiglu(gate: g, up: u)
        case .geGLUTanh: return geglu(gate: g, up: u)
        }
    }
    /// The frozen down projection W0 v: [T, F] -> [T, D].
    public func project(_ v: Tensor, rule: BlockProductRule = .fewRows) -> Tensor { linear(v, downProjection, rule: rule) }

    public func forward(_ x: Tensor) -> Tensor { project(activation(x)) }
}

/// Hooks into one block's forward pass: how the editor observes activations and adds an adapter.
public struct BlockHooks {
    /// Sees the gated activation v [T, F] entering down_proj.
    public var observeDownInput: ((Tensor) -> Void)?
    /// Replaces the down projection's output: given v [T, F] and the frozen W0·v [T, D], returns [T, D]
    /// (e.g. W0·v + adapter(v)); a post-FFN norm, if the block has one, applies to what it returns.
    public var replaceDownOutput: ((_ v: Tensor, _ frozen: Tensor) -> Tensor)?

    public init(observeDownInput: ((Tensor) -> Void)? = nil,
                replaceDownOutput: ((_ v: Tensor, _ frozen: Tensor) -> Tensor)? = nil) {
        self.observeDownInput = observeDownInput
        self.replaceDownOutput = replaceDownOutput
    }
}

/// One pre-norm transformer block: h = x + post(attn(norm(x))); out = h + post(mlp(norm(h))), where the
/// post-norms exist only if the block description has them (Gemma).
public struct LlamaBlock: Sendable {
    public var attentionNorm: Tensor  // [D]
    public var attention: LlamaAttention
    public var mlpNorm: Tensor        // [D]
    public var mlp: LlamaMLP
    /// RMSNorm weights [D] applied to the attention and FFN outputs (`block.postNorms`), else nil.
    public var postAttentionNorm: Tensor?
    public var postMLPNorm: Tensor?

    public init(attentionNorm: Tensor, attention: LlamaAttention, mlpNorm: Tensor, mlp: LlamaMLP,
                postAttentionNorm: Tensor? = nil, postMLPNorm: Tensor? = nil) {
        (self.attentionNorm, self.attention, self.mlpNorm, self.mlp) = (attentionNorm, attention, mlpNorm, mlp)
        (self.postAttentionNorm, self.postMLPNorm) = (postAttentionNorm, postMLPNorm)
    }

    /// x [T, D] -> [T, D], the residual stream after this block.
    public func forward(_ x: Tensor, positions: [Int], cache: LayerKVCache? = nil, hooks: BlockHooks? = nil) -> Tensor {
        forward(x, hooks: hooks) { attention.forward($0, positions: positions, cache: cache) }
    }

    /// The block around an attention step `attend` (normalized x -> attention output): one sequence's
    /// `forward`, or a batch's `decode`; the feed-forward products follow `rule`.
    func forward(_ x: Tensor, hooks: BlockHooks?, rule: BlockProductRule = .fewRows, attend: (Tensor) -> Tensor) -> Tensor {
        let eps = attention.configuration.rmsNormEpsilon
        var a = attend(rmsNorm(x, weight: attentionNorm, eps: eps))
        if let postAttentionNorm { a = rmsNorm(a, weight: postAttentionNorm, eps: eps) }
        let h = add(x, a)
        let v = mlp.activation(rmsNorm(h, weight: mlpNorm, eps: eps), rule: rule)         // [T, F]
        hooks?.observeDownInput?(v)
        var out = mlp.project(v, rule: rule)                                                 // [T, D]
        if let replace = hooks?.replaceDownOutput { out = replace(v, out) }
        if let postMLPNorm { out = rmsNorm(out, weight: postMLPNorm, eps: eps) }
        return add(h, out)
    }
}

/// A LLaMA-family causal language model: float32 weights, or a GGUF file's blocks read in place (see Weight).
public struct LlamaModel: Sendable {
    public let configuration: LlamaConfiguration
    public var embeddingTable: Weight     // [V, D]
    public var blocks: [LlamaBlock]
    public var finalNorm: Tensor      // [D]
    /// The LM head [V, D]; with tied embeddings the same matrix as `embeddingTable`.
    public var headProjection: Weight
    /// The float32 values (see LlamaAttention.wq).
    public var embedding: Tensor { get { embeddingTable.float } set { embeddingTable = Weight(newValue) } }
    public var head: Tensor { get { headProjection.float } set { headProjection = Weight(newValue) } }

    public init(configuration: LlamaConfiguration, embedding: Tensor, blocks: [LlamaBlock], finalNorm: Tensor, head: Tensor) {
        self.init(configuration: configuration, embedding: Weight(embedding), blocks: blocks, finalNorm: finalNorm, head: Weight(head))
    }

    public init(configuration: LlamaConfiguration, embedding: Weight, blocks: [LlamaBlock], finalNorm: Tensor, head: Weight) {
        self.configuration = configuration
        self.embeddingTable = embedding
        self.blocks = blocks
        self.finalNorm = finalNorm
        self.headProjection = head
    }

    public func block(_ i: Int) -> LlamaBlock { blocks[i] }

    /// Whether decoding reads quantized blocks (GGUF weights in a `QuantizedFormat`) instead of float32.
    public var usesPackedDecoding: Bool { headProjection.packed != nil || blocks.contains { $0.attention.queryProjection.packed != nil } }

    /// The same model with every product on float32 weights (made from the blocks now).
    public func withoutPackedDecoding() -> LlamaModel {
        var m = self
        m.embeddingTable = embeddingTable.floatOnly()
        m.headProjection = configuration.tiedEmbeddings ? m.embeddingTable : headProjection.floatOnly()
        for i in m.blocks.indices {
            let a = m.blocks[i].attention, f = m.blocks[i].mlp
            m.blocks[i].attention.queryProjection = a.queryProjection.floatOnly()
            m.blocks[i].attention.keyProjection = a.keyProjection.floatOnly()
            m.blocks[i].attention.valueProjection = a.valueProjection.floatOnly()
            m.blocks[i].attention.outputProjection = a.outputProjection.floatOnly()
            m.blocks[i].mlp.gateProjection = f.gateProjection.floatOnly()
            m.blocks[i].mlp.upProjection = f.upProjection.floatOnly()
            m.blocks[i].mlp.downProjection = f.downProjection.floatOnly()
        }
        return m
    }

    /// The float32 matrices this model holds now, in bytes (the rest is read from the file's blocks).
    public var floatWeightBytes: Int {
        var matrices = [embeddingTable] + (configuration.tiedEmbeddings ? [] : [headProjection])
        for b in blocks {
            matrices += [b.attention.queryProjection, b.attention.keyProjection, b.attention.valueProjection,
                         b.attention.outputProjection, b.mlp.gateProjection, b.mlp.upProjection, b.mlp.downProjection]
        }
        return matrices.reduce(0) { $0 + ($1.storage.materialized()?.count ?? 0) * 4 }
    }

    /// Token embeddings [T, D] of `ids` (the residual stream before block 0), scaled if the block says so.
    public func embed(_ ids: [Int]) -> Tensor {
        let e: Tensor
        if let packed = embeddingTable.packed, !embeddingTable.holdsFloat {
            e = packed.rows(ids)
        } else {
            e = ElderTensor.embedding(embedding, ids: ids)
        }
        return configuration.block.embeddingScale.map { scale(e, by: $0) } ?? e
    }

    /// Runs blocks `layers` over the residual stream x [T, D]; `hooks[i]` applies to block i.
    public func run(_ x: Tensor, layers: Range<Int>, positions: [Int], cache: KVCache? = nil,
                    hooks: [Int: BlockHooks] = [:], afterBlock: ((Int, Tensor) -> Void)? = nil) -> Tensor {
        var h = x
        for i in layers {
            h = blocks[i].forward(h, positions: positions, cache: cache?.layers[i], hooks: hooks[i])
            afterBlock?(i, h)
        }
        return h
    }

    /// Logits [T, V] of the final residual stream h [T, D] (the head's product follows `rule`).
    public func logits(_ h: Tensor, rule: BlockProductRule = .fewRows) -> Tensor {
        linear(rmsNorm(h, weight: finalNorm, eps: configuration.rmsNormEpsilon), headProjection, rule: rule)
    }

    /// Logits [rows.count, V] of rows `rows` of h [T, D] only: scoring an answer needs the rows that predict
    /// it, and the head is the largest product of a pass (V × D; Gemma 3's V is 262,144).
    public func logits(_ h: Tensor, rows: Range<Int>) -> Tensor {
        if rows == 0..<h.rowCount { return logits(h) }
        if rows.isEmpty { return Tensor(shape: [0, configuration.vocabularySize], scalars: []) }
        let d = h.lastDimension
        return logits(Tensor(shape: [rows.count, d], scalars: Array(h.scalars[(rows.lowerBound * d)..<(rows.upperBound * d)])))
    }

    /// Logits [rows.count, V] of rows `rows` of a pass over `ids` from position 0 (no cache).
    public func logits(of ids: [Int], rows: Range<Int>) -> Tensor {
        logits(run(embed(ids), layers: 0..<blocks.count, positions: Array(0..<ids.count)), rows: rows)
    }

    /// Logits [answer.count, V] of `prompt + answer` at the rows that predict the answer (row i: answer[i]).
    public func answerLogits(prompt: [Int], answer: [Int]) -> Tensor {
        precondition(!prompt.isEmpty, "answerLogits: an empty prompt has no row that predicts the answer")
        return logits(of: prompt + answer, rows: (prompt.count - 1)..<(prompt.count + answer.count - 1))
    }

    /// Logits of `ids` placed after the cache's positions (or at 0...). With `lastOnly`, only the last
    /// row's logits [1, V] are computed (what generation needs).
    public func forward(_ ids: [Int], cache: KVCache? = nil, hooks: [Int: BlockHooks] = [:], lastOnly: Bool = false) -> Tensor {
        let start = cache?.length ?? 0
        let positions = Array(start..<start + ids.count)
        let h = run(embed(ids), layers: 0..<blocks.count, positions: positions, cache: cache, hooks: hooks)
        return logits(h, rows: lastOnly ? (h.rowCount - 1)..<h.rowCount : 0..<h.rowCount)
    }
}
