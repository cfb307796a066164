import Foundation

// Reading a model's configuration from its checkpoint: GGUF metadata (`general.architecture` = llama or
// gemma3, keys `<arch>.*`) and Hugging Face `config.json` (LLaMA family, transformers 4 and 5 layouts).
// What Elder does not implement (RoPE scaling, partial rotary embeddings, logit softcapping — Gemma 2's,
// Gemma 3 has none) is refused by name rather than run wrongly.

extension LlamaConfiguration {
    /// The architectures `init(gguf:)` reads.
    public static let ggufArchitectures = ["llama", "gemma3"]

    /// The configuration in a GGUF file's `<arch>.*` metadata.
    public init(gguf: GGUFFile) throws {
        let arch = try gguf.string("general.architecture")
        guard Self.ggufArchitectures.contains(arch) else {
            throw CheckpointError.invalid(path: gguf.path,
                reason: "architecture '\(arch)' is not supported (\(Self.ggufArchitectures.joined(separator: ", ")))")
        }
        func meta(_ key: String) -> GGUFValue? { gguf.metadata["\(arch).\(key)"] }
        func refuse(_ what: String) -> CheckpointError { .invalid(path: gguf.path, reason: "\(what) is not supported") }
        let heads = try gguf.int("\(arch).attention.head_count")
        let hidden = try gguf.int("\(arch).embedding_length")
        let layers = try gguf.int("\(arch).block_count")
        let headDim = meta("attention.key_length")?.int ?? (heads > 0 ? hidden / heads : 0)
        if let valueDim = meta("attention.value_length")?.int, valueDim != headDim {
            throw refuse("a value head width \(valueDim) unlike the key head width \(headDim)")
        }
        if let rotary = meta("rope.dimension_count")?.int, rotary != headDim {
            throw refuse("partial rotary embedding (\(rotary) of \(headDim))")
        }
        if let scaling = meta("rope.scaling.type")?.string, scaling != "none" {
            throw refuse("RoPE scaling '\(scaling)'")
        }
        if let factor = meta("rope.scaling.factor")?.double, factor != 0, factor != 1 {
            throw refuse("RoPE scaling by \(factor)")
        }
        for key in ["attn_logit_softcapping", "final_logit_softcapping"] {
            if let cap = meta(key)?.double, cap != 0 { throw refuse("\(key) (\(cap))") }
        }
        let vocab = meta("vocab_size")?.int
            ?? gguf.metadata["tokenizer.ggml.tokens"]?.array?.count
            ?? gguf.info("token_embd.weight")?.shape.first ?? 0
        var block = BlockDescription.llama
        var ropeStyle = RopeStyleName.adjacentPairs  // llama.cpp's converter permutes LLaMA's q/k into pairs
        if arch == "gemma3" {
            // Gemma 3 as llama.cpp runs it: q/k are not permuted (NEOX-style half split); every 6th block
            // global with the file's RoPE base, the others local with base 10,000 (Gemma 3's published
            // values, used when the file has no key for them); q·k scaled by 1/sqrt(query_pre_attn_scalar),
            // which is the head width except for the 27B model (62 blocks: D / heads).
            ropeStyle = .halfSplit
            let window = meta("attention.sliding_window")?.int
            block = BlockDescription(
                feedForward: .geGLUTanh, queryKeyNorm: true, postNorms: true,
                embeddingScale: Float(hidden).squareRoot(),
                attentionScale: 1 / Float(layers == 62 && heads > 0 ? hidden / heads : headDim).squareRoot(),
                slidingWindow: window.flatMap { $0 > 0 ? $0 : nil },
                globalEvery: window == nil ? nil : meta("attention.sliding_window_pattern")?.int ?? 6,
                localRopeBase: window == nil ? nil : Float(meta("rope.freq_base_swa")?.double ?? 10_000))
        }
        self.init(vocabularySize: vocab, hiddenSize: hidden,
                  intermediateSize: try gguf.int("\(arch).feed_forward_length"),
                  layerCount: layers, headCount: heads,
                  kvHeadCount: meta("attention.head_count_kv")?.int ?? heads,
                  headDimension: headDim,
                  rmsNormEpsilon: Float(try gguf.double("\(arch).attention.layer_norm_rms_epsilon")),
                  ropeBase: Float(meta("rope.freq_base")?.double ?? 10_000),
                  ropeStyle: ropeStyle, tiedEmbeddings: gguf.info("output.weight") == nil,
                  contextLength: meta("context_length")?.int ?? 2_048, block: block)
        try validate(source: gguf.path)
    }

    /// A Hugging Face `config.json` of the LLaMA family (LlamaForCausalLM and kin: the same key names).
    ///
    /// RoPE is read from both layouts: transformers 5 writes `rope_parameters` {`rope_theta`, `rope_type`},
    /// earlier versions `rope_theta` and `rope_scaling` (null, or {`rope_type` or `type`, `factor`, ...}).
    /// Any RoPE type but "default" (Llama 3's "llama3", "linear", "dynamic", "yarn", ...) is refused by name.
    public init(huggingFaceConfig data: Data, source: String) throws {
        struct Rope: Decodable { let rope_theta: Double?; let rope_type: String?; let type: String? }
        struct HF: Decodable {
            let vocab_size: Int, hidden_size: Int, intermediate_size: Int, num_hidden_layers: Int
            let num_attention_heads: Int, num_key_value_heads: Int?, head_dim: Int?
            let rms_norm_eps: Double?, rope_theta: Double?, tie_word_embeddings: Bool?
            let max_position_embeddings: Int?, model_type: String?
            let rope_scaling: Rope?, rope_parameters: Rope?, partial_rotary_factor: Double?
            let hidden_act: String?
        }
        func refuse(_ why: String) -> CheckpointError { .invalid(path: source, reason: why) }
        let hf: HF
        do { hf = try JSONDecoder().decode(HF.self, from: data) } catch {
            throw refuse("config.json: \(error)")
        }
        if let type = hf.model_type, !["llama", "mistral", "smollm", "smollm2"].contains(type) {
            throw refuse("model_type '\(type)' is not LLaMA-family (llama, mistral)")
        }
        if let act = hf.hidden_act, act != "silu" { throw refuse("hidden_act '\(act)' is not supported (silu)") }
        if let factor = hf.partial_rotary_factor, factor != 1 { throw refuse("partial_rotary_factor \(factor) is not supported") }
        for rope in [hf.rope_parameters, hf.rope_scaling].compactMap({ $0 }) {
            let type = rope.rope_type ?? rope.type ?? "default"
            if type != "default" { throw refuse("rope_type '\(type)' (RoPE scaling) is not supported") }
        }
        let base = hf.rope_parameters?.rope_theta ?? hf.rope_theta ?? 10_000
        self.init(vocabularySize: hf.vocab_size, hiddenSize: hf.hidden_size, intermediateSize: hf.intermediate_size,
                  layerCount: hf.num_hidden_layers, headCount: hf.num_attention_heads,
                  kvHeadCount: hf.num_key_value_heads ?? hf.num_attention_heads, headDimension: hf.head_dim,
                  rmsNormEpsilon: Float(hf.rms_norm_eps ?? 1e-6), ropeBase: Float(base),
                  ropeStyle: .halfSplit, tiedEmbeddings: hf.tie_word_embeddings ?? false,
                  contextLength: hf.max_position_embeddings ?? 2_048)
        try validate(source: source)
    }
}
