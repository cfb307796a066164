import ElderModel
import ElderTensor

/// A tiny random LLaMA (4 blocks, D 16, F 32, a byte-level vocabulary of the space and printable ASCII, no
/// merges) built through the public loading path, for fast tests that need a model but not a real one.
/// Same shape as ElderEditingTests' `TinyModel`; deterministic by seed.
public enum TinyLlama {
    struct Source: TensorSource {
        let tensors: [String: Tensor]
        var sourcePath: String { "<tiny>" }
        func contains(_ name: String) -> Bool { tensors[name] != nil }
        func shape(of name: String) -> [Int]? { tensors[name]?.shape }
        func tensor(_ name: String) throws -> Tensor { tensors[name]! }
    }

    public static func make(blocks: Int = 4, seed: UInt64 = 11) throws -> LoadedModel {
        let tokens = ["Ġ"] + (0x21...0x7E).map { String(UnicodeScalar(UInt8($0))) }
        let c = LlamaConfiguration(vocabularySize: tokens.count, hiddenSize: 16, intermediateSize: 32, layerCount: blocks,
                                   headCount: 2, kvHeadCount: 1, headDimension: 8, rmsNormEpsilon: 1e-5, ropeBase: 10000,
                                   ropeStyle: .halfSplit, tiedEmbeddings: true, contextLength: 64)
        var state = seed
        func random(_ shape: [Int], scale: Float) -> Tensor {
            let n = shape.reduce(1, *)
            return Tensor(shape: shape, scalars: (0..<n).map { _ in
                // SplitMix64 step, mapped to [-scale, scale).
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                return (Float(z >> 40) / Float(1 << 24) * 2 - 1) * scale
            })
        }
        var t: [String: Tensor] = [:]
        t["model.embed_tokens.weight"] = random([c.vocabularySize, 16], scale: 1)
        t["model.norm.weight"] = Tensor(repeating: 1, shape: [16])
        for i in 0..<blocks {
            let p = "model.layers.\(i)."
            t[p + "input_layernorm.weight"] = Tensor(repeating: 1, shape: [16])
            t[p + "post_attention_layernorm.weight"] = Tensor(repeating: 1, shape: [16])
            t[p + "self_attn.q_proj.weight"] = random([c.queryWidth, 16], scale: 0.4)
            t[p + "self_attn.k_proj.weight"] = random([c.kvWidth, 16], scale: 0.4)
            t[p + "self_attn.v_proj.weight"] = random([c.kvWidth, 16], scale: 0.4)
            t[p + "self_attn.o_proj.weight"] = random([16, c.queryWidth], scale: 0.4)
            t[p + "mlp.gate_proj.weight"] = random([32, 16], scale: 0.4)
            t[p + "mlp.up_proj.weight"] = random([32, 16], scale: 0.4)
            t[p + "mlp.down_proj.weight"] = random([16, 32], scale: 0.3)
        }
        let model = try LlamaModel(configuration: c, source: Source(tensors: t), names: .huggingFace)
        let tokenizer = try BPETokenizer(tokens: tokens, merges: [], specialTokenIDs: [],
                                         preTokenizer: PreTokenizer(individualDigits: false), bosTokenID: nil, eosTokenID: nil)
        return LoadedModel(path: "<tiny>", model: model, tokenizer: tokenizer, chatTemplate: nil, stopTokenIDs: [])
    }
}
