import ElderTensor
import Foundation

/// The shape of a LLaMA-family model, read from the checkpoint (GGUF metadata or `config.json`),
/// never hard-coded. Derived sizes are computed properties.
public struct LlamaConfiguration: Codable, Equatable, Sendable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDimension: Int
    public var rmsNormEpsilon: Float
    public var ropeBase: Float
    /// Adjacent pairs for GGUF files (the converter permuted q/k); half-split for Hugging Face checkpoints.
    public var ropeStyle: RopeStyleName
    public var tiedEmbeddings: Bool
    public var contextLength: Int

    public enum RopeStyleName: String, Codable, Sendable {
        case adjacentPairs, halfSplit
        public var style: RopeStyle { self == .adjacentPairs ? .adjacentPairs : .halfSplit }
    }

    public init(vocabularySize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int,
                kvHeadCount: Int, headDimension: Int? = nil, rmsNormEpsilon: Float, ropeBase: Float,
                ropeStyle: RopeStyleName, tiedEmbeddings: Bool, contextLength: Int) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDimension = headDimension ?? (headCount > 0 ? hiddenSize / headCount : 0)
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeBase = ropeBase
        self.ropeStyle = ropeStyle
        self.tiedEmbeddings = tiedEmbeddings
        self.contextLength = contextLength
    }

    public var queryWidth: Int { headCount * headDimension }
    public var kvWidth: Int { kvHeadCount * headDimension }

    /// Checks the sizes fit together and are sane, naming the first that does not.
    public func validate(source: String) throws {
        func fail(_ why: String) -> CheckpointError { .invalid(path: source, reason: "model configuration: \(why)") }
        let limits = [("vocabulary size", vocabularySize, 4_000_000), ("hidden size", hiddenSize, 65_536),
                      ("intermediate size", intermediateSize, 262_144), ("layer count", layerCount, 1_024),
                      ("head count", headCount, 1_024), ("KV head count", kvHeadCount, 1_024),
                      ("head dimension", headDimension, 4_096), ("context length", contextLength, 16_777_216)]
        for (name, value, limit) in limits where value < 1 || value > limit {
            throw fail("\(name) \(value) outside 1...\(limit)")
        }
        guard headCount % kvHeadCount == 0 else { throw fail("\(headCount) heads not a multiple of \(kvHeadCount) KV heads") }
        guard headDimension % 2 == 0 else { throw fail("head dimension \(headDimension) is odd") }
        guard rmsNormEpsilon > 0, rmsNormEpsilon < 1, ropeBase > 1 else { throw fail("eps \(rmsNormEpsilon) / rope base \(ropeBase)") }
    }

    /// The configuration in a GGUF file's `<arch>.*` metadata (architecture `llama`).
    public init(gguf: GGUFFile) throws {
        let arch = try gguf.string("general.architecture")
        guard arch == "llama" else {
            throw CheckpointError.invalid(path: gguf.path, reason: "architecture '\(arch)' is not LLaMA-family ('llama')")
        }
        let heads = try gguf.int("\(arch).attention.head_count")
        let hidden = try gguf.int("\(arch).embedding_length")
        let headDim = gguf.metadata["\(arch).attention.key_length"]?.int ?? (heads > 0 ? hidden / heads : 0)
        if let rotary = gguf.metadata["\(arch).rope.dimension_count"]?.int, rotary != headDim {
            throw CheckpointError.invalid(path: gguf.path, reason: "partial rotary embedding (\(rotary) of \(headDim)) is not supported")
        }
        let vocab = gguf.metadata["\(arch).vocab_size"]?.int
            ?? gguf.metadata["tokenizer.ggml.tokens"]?.array?.count
            ?? gguf.info("token_embd.weight")?.shape.first ?? 0
        self.init(vocabularySize: vocab, hiddenSize: hidden,
                  intermediateSize: try gguf.int("\(arch).feed_forward_length"),
                  layerCount: try gguf.int("\(arch).block_count"), headCount: heads,
                  kvHeadCount: gguf.metadata["\(arch).attention.head_count_kv"]?.int ?? heads,
                  headDimension: headDim,
                  rmsNormEpsilon: Float(try gguf.double("\(arch).attention.layer_norm_rms_epsilon")),
                  ropeBase: Float(gguf.metadata["\(arch).rope.freq_base"]?.double ?? 10_000),
                  ropeStyle: .adjacentPairs, tiedEmbeddings: gguf.info("output.weight") == nil,
                  contextLength: gguf.metadata["\(arch).context_length"]?.int ?? 2_048)
        try validate(source: gguf.path)
    }

    /// A Hugging Face `config.json` (LlamaForCausalLM and kin: the same key names).
    public init(huggingFaceConfig data: Data, source: String) throws {
        struct HF: Decodable {
            let vocab_size: Int, hidden_size: Int, intermediate_size: Int, num_hidden_layers: Int
            let num_attention_heads: Int, num_key_value_heads: Int?, head_dim: Int?
            let rms_norm_eps: Double?, rope_theta: Double?, tie_word_embeddings: Bool?
            let max_position_embeddings: Int?, model_type: String?
            let rope_scaling: [String: AnyCodableValue]?
        }
        let hf: HF
        do { hf = try JSONDecoder().decode(HF.self, from: data) } catch {
            throw CheckpointError.invalid(path: source, reason: "config.json: \(error)")
        }
        if let type = hf.model_type, !["llama", "mistral", "smollm", "smollm2"].contains(type) {
            throw CheckpointError.invalid(path: source, reason: "model_type '\(type)' is not LLaMA-family")
        }
        if hf.rope_scaling != nil {
            throw CheckpointError.invalid(path: source, reason: "rope_scaling is not supported")
        }
        self.init(vocabularySize: hf.vocab_size, hiddenSize: hf.hidden_size, intermediateSize: hf.intermediate_size,
                  layerCount: hf.num_hidden_layers, headCount: hf.num_attention_heads,
                  kvHeadCount: hf.num_key_value_heads ?? hf.num_attention_heads, headDimension: hf.head_dim,
                  rmsNormEpsilon: Float(hf.rms_norm_eps ?? 1e-6), ropeBase: Float(hf.rope_theta ?? 10_000),
                  ropeStyle: .halfSplit, tiedEmbeddings: hf.tie_word_embeddings ?? false,
                  contextLength: hf.max_position_embeddings ?? 2_048)
        try validate(source: source)
    }
}

/// Any JSON value, decoded only to notice that a key is present (e.g. a non-null `rope_scaling`).
struct AnyCodableValue: Decodable {
    init(from decoder: Decoder) throws {}
}
