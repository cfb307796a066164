import ElderTensor

// The decoder, read top to bottom: Attention -> MLP -> Block -> Model. It runs the LLaMA block and what a
// `BlockDescription` adds to it (Gemma 3: GeGLU, q/k norms, post-norms, scaled embeddings, local layers).
// Dimension letters: T tokens, S cached + new positions, D hidden size, F intermediate size,
// V vocabulary, Hq / Hkv query / key-value heads, hd head dimension. Weights are [out, in] (a row per
// output), so a projection is y = x Wᵀ. Generation state (the KV cache) lives outside the model.

/// Grouped-query self-attention with rotary positions (per-head q/k norms and a sliding window if the
/// block description has them).
public struct LlamaAttention: Sendable {
    public var wq: Tensor { didSet { packedQ = nil } }   // [Hq*hd, D]
    public var wk: Tensor { didSet { packedK = nil } }   // [Hkv*hd, D]
    public var wv: Tensor { didSet { packedV = nil } }   // [Hkv*hd, D]
    public var wo: Tensor { didSet { packedO = nil } }   // [D, Hq*hd]
    /// RMSNorm weights of each query and key head [hd] (`block.queryKeyNorm`), else nil.
    public var queryNorm: Tensor?
    public var keyNorm: Tensor?
    public let configuration: LlamaConfiguration
    /// The block this attention belongs to (local or global, its RoPE base).
    public let layer: Int
    /// The same matrices in their GGUF block encoding, for decoding (dropped when a weight is set).
    var packedQ, packedK, packedV, packedO: PackedMatrix?

    public init(wq: Tensor, wk: Tensor, wv: Tensor, wo: Tensor, configuration: LlamaConfiguration, layer: Int = 0,
                queryNorm: Tensor? = nil, keyNorm: Tensor? = nil) {
        (self.wq, self.wk, self.wv, self.wo, self.configuration) = (wq, wk, wv, wo, configuration)
        (self.layer, self.queryNorm, self.keyNorm) = (layer, queryNorm, keyNorm)
    }

    /// The RoPE base of this block.
    public var ropeBase: Float { configuration.block.ropeBase(layer, global: configuration.ropeBase) }
    /// The sliding window of this block (nil: global).
    public var window: Int? { configuration.block.window(layer) }

    /// Queries [T, Hq*hd] and keys [T, Hkv*hd] of x, normalized per head if the block says so, rotated.
    public func queriesAndKeys(_ x: Tensor, positions: [Int]) -> (q: Tensor, k: Tensor) {
        let c = configuration
        var q = linear(x, wq, packed: packedQ), k = linear(x, wk, packed: packedK)
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
        return linear(mixed, wo, packed: packedO)
    }

    /// Queries q [T, Hq*hd] and keys k [T, Hkv*hd] with rotary positions, and values v [T, Hkv*hd], of x [T, D].
    func project(_ x: Tensor, positions: [Int]) -> (q: Tensor, k: Tensor, v: Tensor) {
        let (q, k) = queriesAndKeys(x, positions: positions)
        return (q, k, linear(x, wv, packed: packedV))
    }
}

/// The gated feed-forward network: down(act(gate x) * up x), act = SiLU (SwiGLU) or tanh-GELU (GeGLU).
public struct LlamaMLP: Sendable {
    public var gate: Tensor { didSet { packedGate = nil } }  // [F, D]
    public var up: Tensor { didSet { packedUp = nil } }      // [F, D]
    public var down: Tensor { didSet { packedDown = nil } }  // [D, F]
    public let kind: BlockDescription.FeedForward
    var packedGate, packedUp, packedDown: PackedMatrix?

    public init(gate: Tensor, up: Tensor, down: Tensor, kind: BlockDescription.FeedForward = .swiGLU) {
        (self.gate, self.up, self.down, self.kind) = (gate, up, down, kind)
    }

    /// The gated activation v [T, F] that enters the down projection (the editor's key vector).
    public func activation(_ x: Tensor) -> Tensor {
        let g = linear(x, gate, packed: packedGate), u = linear(x, up, packed: packedUp)
        switch kind {
        case .swiGLU: return swiglu(gate: g, up: u)
        case .geGLUTanh: return geglu(gate: g, up: u)
        }
    }
    /// The frozen down projection W0 v: [T, F] -> [T, D].
    public func project(_ v: Tensor) -> Tensor { linear(v, down, packed: packedDown) }

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
    /// `forward`, or a batch's `decode`.
    func forward(_ x: Tensor, hooks: BlockHooks?, attend: (Tensor) -> Tensor) -> Tensor {
        let eps = attention.configuration.rmsNormEpsilon
        var a = attend(rmsNorm(x, weight: attentionNorm, eps: eps))
        if let postAttentionNorm { a = rmsNorm(a, weight: postAttentionNorm, eps: eps) }
        let h = add(x, a)
        let v = mlp.activation(rmsNorm(h, weight: mlpNorm, eps: eps))                      // [T, F]
        hooks?.observeDownInput?(v)
        var out = mlp.project(v)                                                             // [T, D]
        if let replace = hooks?.replaceDownOutput { out = replace(v, out) }
        if let postMLPNorm { out = rmsNorm(out, weight: postMLPNorm, eps: eps) }
        return add(h, out)
    }
}

/// A LLaMA-family causal language model with float32 weights (dequantized at load).
public struct LlamaModel: Sendable {
    public let configuration: LlamaConfiguration
    public var embedding: Tensor      // [V, D]
    public var blocks: [LlamaBlock]
    public var finalNorm: Tensor      // [D]
    /// The LM head [V, D]; with tied embeddings it shares `embedding`'s storage.
    public var head: Tensor { didSet { packedHead = nil } }
    var packedHead: PackedMatrix?

    public init(configuration: LlamaConfiguration, embedding: Tensor, blocks: [LlamaBlock], finalNorm: Tensor, head: Tensor) {
        self.configuration = configuration
        self.embedding = embedding
        self.blocks = blocks
        self.finalNorm = finalNorm
        self.head = head
    }

    public func block(_ i: Int) -> LlamaBlock { blocks[i] }

    /// Whether decoding reads quantized blocks (GGUF Q4_0/Q4_1/Q8_0 weights) instead of float32.
    public var usesPackedDecoding: Bool { packedHead != nil || blocks.contains { $0.attention.packedQ != nil } }

    /// The same model with decoding on the float32 weights only.
    public func withoutPackedDecoding() -> LlamaModel {
        var m = self
        m.packedHead = nil
        for i in m.blocks.indices {
            m.blocks[i].attention.packedQ = nil; m.blocks[i].attention.packedK = nil
            m.blocks[i].attention.packedV = nil; m.blocks[i].attention.packedO = nil
            m.blocks[i].mlp.packedGate = nil; m.blocks[i].mlp.packedUp = nil; m.blocks[i].mlp.packedDown = nil
        }
        return m
    }

    /// Token embeddings [T, D] of `ids` (the residual stream before block 0), scaled if the block says so.
    public func embed(_ ids: [Int]) -> Tensor {
        let e = ElderTensor.embedding(embedding, ids: ids)
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

    /// Logits [T, V] of the final residual stream h [T, D].
    public func logits(_ h: Tensor) -> Tensor {
        linear(rmsNorm(h, weight: finalNorm, eps: configuration.rmsNormEpsilon), head, packed: packedHead)
    }

    /// Logits of `ids` placed after the cache's positions (or at 0...). With `lastOnly`, only the last
    /// row's logits [1, V] are computed (what generation needs).
    public func forward(_ ids: [Int], cache: KVCache? = nil, hooks: [Int: BlockHooks] = [:], lastOnly: Bool = false) -> Tensor {
        let start = cache?.length ?? 0
        let positions = Array(start..<start + ids.count)
        var h = run(embed(ids), layers: 0..<blocks.count, positions: positions, cache: cache, hooks: hooks)
        if lastOnly && h.rowCount > 1 {
            h = Tensor(shape: [1, h.lastDimension], scalars: h.row(h.rowCount - 1))
        }
        return logits(h)
    }
}
