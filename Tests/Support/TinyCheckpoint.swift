import ElderEditing
import ElderModel
import ElderStable
import ElderTensor
import Foundation

/// Tiny random LLaMA checkpoints written to a temporary folder, in Hugging Face (safetensors) and
/// GGUF form, for tests that must not need the real model.
public struct TinyCheckpoint {
    public let configuration: LlamaConfiguration
    /// Hugging Face names -> weights (q/k in the half-split layout).
    public let weights: [String: Tensor]

    public init(configuration: LlamaConfiguration, weights: [String: Tensor]) {
        self.configuration = configuration
        self.weights = weights
    }

    public static func make(seed: UInt64 = 1, tied: Bool = false, layers: Int = 2) -> TinyCheckpoint {
        let c = LlamaConfiguration(vocabularySize: 300, hiddenSize: 32, intermediateSize: 48, layerCount: layers,
                                   headCount: 4, kvHeadCount: 2, headDimension: 8, rmsNormEpsilon: 1e-5,
                                   ropeBase: 10_000, ropeStyle: .halfSplit, tiedEmbeddings: tied, contextLength: 128)
        var rng = SeededRandom(seed)
        func random(_ shape: [Int], scale: Float = 0.2) -> Tensor {
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.normal() * scale })
        }
        func norm(_ d: Int) -> Tensor { Tensor(shape: [d], scalars: (0..<d).map { _ in 1 + rng.normal() * 0.1 }) }
        let D = c.hiddenSize, F = c.intermediateSize
        var w: [String: Tensor] = ["model.embed_tokens.weight": random([c.vocabularySize, D], scale: 1), "model.norm.weight": norm(D)]
        if !tied { w["lm_head.weight"] = random([c.vocabularySize, D]) }
        for n in LlamaWeightNamesList.huggingFace(layers: layers) {
            switch n.kind {
            case .norm: w[n.name] = norm(D)
            case .q: w[n.name] = random([c.queryWidth, D])
            case .kv: w[n.name] = random([c.kvWidth, D])
            case .o: w[n.name] = random([D, c.queryWidth])
            case .gateUp: w[n.name] = random([F, D])
            case .down: w[n.name] = random([D, F])
            }
        }
        return TinyCheckpoint(configuration: c, weights: w)
    }

    public var configJSON: [String: Any] {
        let c = configuration
        return ["model_type": "llama", "vocab_size": c.vocabularySize, "hidden_size": c.hiddenSize,
                "intermediate_size": c.intermediateSize, "num_hidden_layers": c.layerCount,
                "num_attention_heads": c.headCount, "num_key_value_heads": c.kvHeadCount, "rms_norm_eps": 1e-5,
                "rope_theta": c.ropeBase, "tie_word_embeddings": c.tiedEmbeddings, "max_position_embeddings": 128,
                "bos_token_id": 256, "eos_token_id": 257]
    }

    /// A Hugging Face folder: config.json, model.safetensors (or two shards and an index), tokenizer.json.
    public func writeHuggingFace(to folder: String, sharded: Bool = false, dtype: SafetensorsDType = .f32,
                          dropping: Set<String> = []) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: configJSON).write(to: URL(fileURLWithPath: folder + "/config.json"))
        try TinyTokenizer.json().write(to: URL(fileURLWithPath: folder + "/tokenizer.json"))
        let kept = weights.filter { !dropping.contains($0.key) }
        if sharded {
            let names = kept.keys.sorted()
            let half = names.count / 2
            var map: [String: String] = [:]
            for (i, part) in [Array(names[..<half]), Array(names[half...])].enumerated() {
                let file = "model-0000\(i + 1)-of-00002.safetensors"
                try SafetensorsFile.write(Dictionary(uniqueKeysWithValues: part.map { ($0, kept[$0]!) }), dtype: dtype,
                                          to: folder + "/" + file)
                for n in part { map[n] = file }
            }
            try JSONSerialization.data(withJSONObject: ["metadata": [:], "weight_map": map])
                .write(to: URL(fileURLWithPath: folder + "/model.safetensors.index.json"))
        } else {
            try SafetensorsFile.write(kept, dtype: dtype, to: folder + "/model.safetensors")
        }
    }

    /// The same model as a GGUF file: llama.cpp names, q/k rows permuted to adjacent pairs as the
    /// converter does, the tiny tokenizer in metadata (and `chatTemplate` as `tokenizer.chat_template`).
    public func writeGGUF(to path: String, version: UInt32 = 3, chatTemplate: String? = nil) throws {
        let c = configuration
        var w = GGUFWriter(version: version)
        w.metadata("general.architecture", .string("llama"))
        w.metadata("llama.block_count", .uint32(UInt32(c.layerCount)))
        w.metadata("llama.context_length", .uint32(128))
        w.metadata("llama.embedding_length", .uint32(UInt32(c.hiddenSize)))
        w.metadata("llama.feed_forward_length", .uint32(UInt32(c.intermediateSize)))
        w.metadata("llama.attention.head_count", .uint32(UInt32(c.headCount)))
        w.metadata("llama.attention.head_count_kv", .uint32(UInt32(c.kvHeadCount)))
        w.metadata("llama.rope.freq_base", .float32(c.ropeBase))
        w.metadata("llama.attention.layer_norm_rms_epsilon", .float32(c.rmsNormEpsilon))
        w.metadata("llama.vocab_size", .uint32(UInt32(c.vocabularySize)))
        w.metadata("llama.rope.dimension_count", .uint32(UInt32(c.headDimension)))
        let tok = TinyTokenizer.vocabulary()
        w.metadata("tokenizer.ggml.model", .string("gpt2"))
        w.metadata("tokenizer.ggml.pre", .string("smollm"))
        w.metadata("tokenizer.ggml.tokens", .array(tok.tokens.map { .string($0) }))
        w.metadata("tokenizer.ggml.token_type", .array(tok.tokens.indices.map { .int32($0 >= 256 && $0 < 258 ? 3 : 1) }))
        w.metadata("tokenizer.ggml.merges", .array(tok.merges.map { .string($0) }))
        w.metadata("tokenizer.ggml.bos_token_id", .uint32(256))
        w.metadata("tokenizer.ggml.eos_token_id", .uint32(257))
        if let chatTemplate { w.metadata("tokenizer.chat_template", .string(chatTemplate)) }
        w.tensor("token_embd.weight", weights["model.embed_tokens.weight"]!)
        w.tensor("output_norm.weight", weights["model.norm.weight"]!)
        if !c.tiedEmbeddings { w.tensor("output.weight", weights["lm_head.weight"]!) }
        for i in 0..<c.layerCount {
            let p = "model.layers.\(i)."
            let g = LlamaWeightNames.gguf.block(i)
            w.tensor(g.attentionNorm, weights[p + "input_layernorm.weight"]!)
            w.tensor(g.q, Self.permuteToAdjacentPairs(weights[p + "self_attn.q_proj.weight"]!, heads: c.headCount))
            w.tensor(g.k, Self.permuteToAdjacentPairs(weights[p + "self_attn.k_proj.weight"]!, heads: c.kvHeadCount))
            w.tensor(g.v, weights[p + "self_attn.v_proj.weight"]!)
            w.tensor(g.o, weights[p + "self_attn.o_proj.weight"]!)
            w.tensor(g.mlpNorm, weights[p + "post_attention_layernorm.weight"]!)
            w.tensor(g.gate, weights[p + "mlp.gate_proj.weight"]!)
            w.tensor(g.up, weights[p + "mlp.up_proj.weight"]!)
            w.tensor(g.down, weights[p + "mlp.down_proj.weight"]!)
        }
        try w.data().write(to: URL(fileURLWithPath: path))
    }

    /// convert_hf_to_gguf's permute: row h*hd + 2i + j takes row h*hd + j*hd/2 + i.
    public static func permuteToAdjacentPairs(_ w: Tensor, heads: Int) -> Tensor {
        let rows = w.rowCount, cols = w.lastDimension, hd = rows / heads
        var out = [Float](repeating: 0, count: w.count)
        for h in 0..<heads {
            for i in 0..<hd / 2 {
                for j in 0..<2 {
                    let dst = h * hd + 2 * i + j, src = h * hd + j * hd / 2 + i
                    for c in 0..<cols { out[dst * cols + c] = w.scalars[src * cols + c] }
                }
            }
        }
        return Tensor(shape: w.shape, scalars: out)
    }
}

/// The tensor names of a Hugging Face block, with what each holds.
public enum LlamaWeightNamesList {
    public enum Kind { case norm, q, kv, o, gateUp, down }
    public static func huggingFace(layers: Int) -> [(name: String, kind: Kind)] {
        (0..<layers).flatMap { i -> [(String, Kind)] in
            let p = "model.layers.\(i)."
            return [(p + "input_layernorm.weight", .norm), (p + "post_attention_layernorm.weight", .norm),
                    (p + "self_attn.q_proj.weight", .q), (p + "self_attn.k_proj.weight", .kv),
                    (p + "self_attn.v_proj.weight", .kv), (p + "self_attn.o_proj.weight", .o),
                    (p + "mlp.gate_proj.weight", .gateUp), (p + "mlp.up_proj.weight", .gateUp),
                    (p + "mlp.down_proj.weight", .down)]
        }
    }
}

/// A byte-level BPE vocabulary: 256 byte tokens, two special tokens, then a few merges.
public enum TinyTokenizer {
    public static let mergePairs = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a"), ("Ġa", "n"), ("Ġan", "d"), ("Ġ", "Ġ")]

    public static func vocabulary() -> (tokens: [String], merges: [String]) {
        var tokens = (0..<256).map { byteLevel(UInt8($0)) }
        tokens += ["<|endoftext|>", "<|im_end|>"]
        for (a, b) in mergePairs { tokens.append(a + b) }
        while tokens.count < 300 { tokens.append("<unused\(tokens.count)>") }
        return (tokens, mergePairs.map { "\($0.0) \($0.1)" })
    }

    public static func json() throws -> Data {
        let v = vocabulary()
        var vocab: [String: Int] = [:]
        for (i, t) in v.tokens.enumerated() where i != 256 && i != 257 { vocab[t] = i }
        let root: [String: Any] = [
            "model": ["type": "BPE", "vocab": vocab, "merges": v.merges],
            "added_tokens": [["id": 256, "content": "<|endoftext|>", "special": true],
                             ["id": 257, "content": "<|im_end|>", "special": true]],
            "pre_tokenizer": ["type": "Sequence", "pretokenizers": [
                ["type": "Digits", "individual_digits": true], ["type": "ByteLevel", "add_prefix_space": false]]],
        ]
        return try JSONSerialization.data(withJSONObject: root)
    }

    /// GPT-2's bytes_to_unicode.
    public static func byteLevel(_ b: UInt8) -> String {
        let printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        if printable.contains(Int(b)) { return String(UnicodeScalar(b)) }
        let n = (0..<Int(b)).filter { !printable.contains($0) }.count
        return String(UnicodeScalar(UInt32(256 + n))!)
    }
}

/// Elder's SplitMix64 with a Float Box-Muller normal, for reproducible random weights.
public struct SeededRandom {
    private var generator: SplitMix64
    public init(_ seed: UInt64) { generator = SplitMix64(seed: seed) }
    public mutating func next() -> UInt64 { generator.next() }
    public mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    public mutating func normal() -> Float {
        let u1 = max(uniform(), 1e-7), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
