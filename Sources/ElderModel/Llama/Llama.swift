import ElderTensor

// The LLaMA-family decoder, read top to bottom: Attention -> MLP -> Block -> Model.
// Dimension letters: T tokens, S cached + new positions, D hidden size, F intermediate size,
// V vocabulary, Hq / Hkv query / key-value heads, hd head dimension. Weights are [out, in] (a row per
// output), so a projection is y = x Wᵀ. Generation state (the KV cache) lives outside the model.

/// Grouped-query self-attention with rotary positions.
public struct LlamaAttention: Sendable {
    public var wq: Tensor { didSet { packedQ = nil } }   // [Hq*hd, D]
    public var wk: Tensor { didSet { packedK = nil } }   // [Hkv*hd, D]
    public var wv: Tensor { didSet { packedV = nil } }   // [Hkv*hd, D]
    public var wo: Tensor { didSet { packedO = nil } }   // [D, Hq*hd]
    public let configuration: LlamaConfiguration
    /// The same matrices in their GGUF block encoding, for decoding (dropped when a weight is set).
    var packedQ, packedK, packedV, packedO: PackedMatrix?

    public init(wq: Tensor, wk: Tensor, wv: Tensor, wo: Tensor, configuration: LlamaConfiguration) {
        (self.wq, self.wk, self.wv, self.wo, self.configuration) = (wq, wk, wv, wo, configuration)
    }

    /// x [T, D] (already normalized) at absolute `positions` -> [T, D]. With a cache, the new keys and
    /// values are appended and the queries attend to every cached position; `positions` must then
    /// continue the cache (positions[0] == cache.count).
    public func forward(_ x: Tensor, positions: [Int], cache: LayerKVCache?) -> Tensor {
        let c = configuration
        let q = rope(linear(x, wq, packed: packedQ), heads: c.headCount, headDim: c.headDimension,
                     positions: positions, base: c.ropeBase, style: c.ropeStyle.style)         // [T, Hq*hd]
        let k = rope(linear(x, wk, packed: packedK), heads: c.kvHeadCount, headDim: c.headDimension,
                     positions: positions, base: c.ropeBase, style: c.ropeStyle.style)         // [T, Hkv*hd]
        let v = linear(x, wv, packed: packedV)                                                 // [T, Hkv*hd]
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
        return linear(mixed, wo, packed: packedO)
    }
}

/// The SwiGLU feed-forward network: down(silu(gate x) * up x).
public struct LlamaMLP: Sendable {
    public var gate: Tensor { didSet { packedGate = nil } }  // [F, D]
    public var up: Tensor { didSet { packedUp = nil } }      // [F, D]
    public var down: Tensor { didSet { packedDown = nil } }  // [D, F]
    var packedGate, packedUp, packedDown: PackedMatrix?

    public init(gate: Tensor, up: Tensor, down: Tensor) { (self.gate, self.up, self.down) = (gate, up, down) }

    /// The SwiGLU activation v [T, F] that enters the down projection (the editor's key vector).
    public func activation(_ x: Tensor) -> Tensor {
        swiglu(gate: linear(x, gate, packed: packedGate), up: linear(x, up, packed: packedUp))
    }
    /// The frozen down projection W0 v: [T, F] -> [T, D].
    public func project(_ v: Tensor) -> Tensor { linear(v, down, packed: packedDown) }

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

    public init(attentionNorm: Tensor, attention: LlamaAttention, mlpNorm: Tensor, mlp: LlamaMLP) {
        (self.attentionNorm, self.attention, self.mlpNorm, self.mlp) = (attentionNorm, attention, mlpNorm, mlp)
    }

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
