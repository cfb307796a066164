import ElderTensor

// One decoding step for several sequences at once (a server's concurrent requests): row b of the input is
// the next token of sequence b, which has its own KV cache and position. The projections run once over
// all B rows (the weights are read once per step instead of once per sequence); attention runs per
// sequence over its own cache. Every product of a step follows `BlockProductRule.decodingStep`: for
// B ≤ PackedMatrix.decodingStepRowLimit it reads the quantized blocks, as a lone decode does, whether
// float32 copies exist or not, and the quantized product treats rows independently, so each row gets the
// bits of its sequence decoded alone; with more rows the float32 product sums in another order.
//   B sequences, D hidden size, Hq*hd query width, Hkv*hd key/value width, V vocabulary.

extension LlamaAttention {
    /// x [B, D] (already normalized), row b at position caches[b].count -> [B, D]. Appends each row's key
    /// and value to its own cache.
    public func decode(_ x: Tensor, caches: [LayerKVCache]) -> Tensor {
        let c = configuration
        precondition(x.rowCount == caches.count, "LlamaAttention.decode: \(x.rowCount) rows for \(caches.count) caches")
        let (q, k, v) = project(x, positions: caches.map(\.count), rule: .decodingStep)         // rows of [B, ·]
        var mixed = Tensor(zeros: [caches.count, c.headCount * c.headDimension])               // [B, Hq*hd]
        for (b, cache) in caches.enumerated() {
            let offset = cache.count
            cache.append(keys: sliceRows(k, start: b, count: 1), values: sliceRows(v, start: b, count: 1))
            mixed.replaceRows(startingAt: b, with: attention(q: sliceRows(q, start: b, count: 1), k: cache.keys, v: cache.values,
                                                             heads: c.headCount, kvHeads: c.kvHeadCount,
                                                             headDim: c.headDimension, queryOffset: offset,
                                                             scale: c.block.attentionScale, window: window))
        }
        return linear(mixed, outputProjection, rule: .decodingStep)
    }
}

extension LlamaBlock {
    /// One decoding step of this block for B sequences: x [B, D] -> [B, D] (see `LlamaAttention.decode`).
    public func decode(_ x: Tensor, caches: [LayerKVCache], hooks: BlockHooks? = nil) -> Tensor {
        forward(x, hooks: hooks, rule: .decodingStep) { attention.decode($0, caches: caches) }
    }
}

extension LlamaModel {
    /// Logits [B, V] of the next token of B sequences: `ids[b]` follows `caches[b]`'s positions.
    /// `hooks[i]` applies to block i and sees row b as sequence b.
    public func decode(_ ids: [Int], caches: [KVCache], hooks: [Int: BlockHooks] = [:]) -> Tensor {
        precondition(ids.count == caches.count, "LlamaModel.decode: \(ids.count) tokens for \(caches.count) caches")
        var h = embed(ids)
        for i in blocks.indices {
            h = blocks[i].decode(h, caches: caches.map { $0.layers[i] }, hooks: hooks[i])
        }
        return logits(h, rule: .decodingStep)
    }
}
