import ElderTensor

// The LLaMA-family decoder, read top to bottom: Attention -> MLP -> Block -> Model.
// Dimension letters: T tokens, S cached + new positions, D hidden size, F intermediate size,
// V vocabulary, Hq / Hkv query / key-value heads, hd head dimension. Weights are [out, in] (a row per
// output), so a projection is y = x Wᵀ. Generation state (the KV cache) lives outside the model.

/// Grouped-query self-attention with rotary positions.
public struct LlamaAttention: Sendable {
    public var wq: Tensor   // [Hq*hd, D]
    public var wk: Tensor   // [Hkv*hd, D]
    public var wv: Tensor   // [Hkv*hd, D]
    public var wo: Tensor   // [D, Hq*hd]
    public let configuration: LlamaConfiguration

    /// x [T, D] (already normalized) at absolute `positions` -> [T, D]. With a cache, the new keys and
    /// values are appended and the queries attend to every cached position; `positions` must then
    /// continue the cache (positions[0] == cache.count).
    public func forward(_ x: Tensor, positions: [Int], cache: LayerKVCache?) -> Tensor {
        let c = configuration
        let q = rope(matmul(x, wq, transposeB: true), heads: c.headCount, headDim: c.headDimension,
                     positions: positions, base: c.ropeBase, style: c.ropeStyle.style)         // [T, Hq*hd]
        let k = rope(matmul(x, wk, transposeB: true), heads: c.kvHeadCount, headDim: c.headDimension,
                     positions: positions, base: c.ropeBase, style: c.ropeStyle.style)         // [T, Hkv*hd]
        let v = matmul(x, wv, transposeB: true)                                                 // [T, Hkv*hd]
        let mixed: Tensor                                                                        // [T, Hq*hd]
        if let cache {
            precondition(positions.first == cache.count, "LlamaAttention: positions must continue the cache")
            let offset = cache.count
            cache.append(keys: k, values: v)
            mixed = attention(q: q, k: cache.keys, v: cache.values, heads: c.headCount, kvHeads: c.kvHeadCount,
                              headDim: c.headDimension, queryOffset: offset)
        } else {
            mixed = attention(q: q, k: k, v: v, heads: c.headCount, kvHeads: c.kvHeadCount,
                              headDim: c.headDimension, queryOffset: 0)
        }
        return matmul(mixed, wo, transposeB: true)
    }
}

/// The SwiGLU feed-forward network: down(silu(gate x) * up x).
public struct LlamaMLP: Sendable {
    public var gate: Tensor  // [F, D]
    public var up: Tensor    // [F, D]
    public var down: Tensor  // [D, F]

    /// The SwiGLU activation v [T, F] that enters the down projection (the editor's key vector).
    public func activation(_ x: Tensor) -> Tensor {
        swiglu(gate: matmul(x, gate, transposeB: true), up: matmul(x, up, transposeB: true))
    }
    /// The frozen down projection W0 v: [T, F] -> [T, D].
    public func project(_ v: Tensor) -> Tensor { matmul(v, down, transposeB: true) }

    public func forward(_ x: Tensor) -> Tensor { project(activation(x)) }
}

/// Hooks into one block's forward pass: how the editor observes activations and adds an adapter.
public struct BlockHooks {
    /// Sees the SwiGLU activation v [T, F] entering down_proj.
    public var observeDownInput: ((Tensor) -> Void)?
    /// Replaces the MLP output: given v [T, F] and the frozen W0·v [T, D], returns [T, D]
    /// (e.g. W0·v + adapter(v)).
    public var replaceDownOutput: ((_ v: Tensor, _ frozen: Tensor) -> Tensor)?

    public init(observeDownInput: ((Tensor) -> Void)? = nil,
                replaceDownOutput: ((_ v: Tensor, _ frozen: Tensor) -> Tensor)? = nil) {
        self.observeDownInput = observeDownInput
        self.replaceDownOutput = replaceDownOutput
    }
}

/// One pre-norm transformer block: h = x + attn(norm(x)); out = h + mlp(norm(h)).
public struct LlamaBlock: Sendable {
    public var attentionNorm: Tensor  // [D]
    public var attention: LlamaAttention
    public var mlpNorm: Tensor        // [D]
    public var mlp: LlamaMLP

    /// x [T, D] -> [T, D], the residual stream after this block.
    public func forward(_ x: Tensor, positions: [Int], cache: LayerKVCache? = nil, hooks: BlockHooks? = nil) -> Tensor {
        let eps = attention.configuration.rmsNormEpsilon
        let h = add(x, attention.forward(rmsNorm(x, weight: attentionNorm, eps: eps), positions: positions, cache: cache))
        let v = mlp.activation(rmsNorm(h, weight: mlpNorm, eps: eps))                      // [T, F]
        hooks?.observeDownInput?(v)
        var out = mlp.project(v)                                                             // [T, D]
        if let replace = hooks?.replaceDownOutput { out = replace(v, out) }
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
    public var head: Tensor

    public init(configuration: LlamaConfiguration, embedding: Tensor, blocks: [LlamaBlock], finalNorm: Tensor, head: Tensor) {
        self.configuration = configuration
        self.embedding = embedding
        self.blocks = blocks
        self.finalNorm = finalNorm
        self.head = head
    }

    public func block(_ i: Int) -> LlamaBlock { blocks[i] }

    /// Token embeddings [T, D] of `ids` (the residual stream before block 0).
    public func embed(_ ids: [Int]) -> Tensor { ElderTensor.embedding(embedding, ids: ids) }

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
        matmul(rmsNorm(h, weight: finalNorm, eps: configuration.rmsNormEpsilon), head, transposeB: true)
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
