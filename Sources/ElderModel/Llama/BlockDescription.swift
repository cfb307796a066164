import Foundation

/// What one decoder block of a model family does beyond the LLaMA block, read from the checkpoint's
/// metadata: the transformer in Llama.swift runs any block this describes.
///
/// The LLaMA block: h = x + attn(norm(x)); out = h + down(silu(gate) * up)(norm(h)), RoPE with one base,
/// causal attention over every earlier position, scale 1/sqrt(hd). Gemma 3 adds (all read from GGUF
/// `gemma3.*` keys, with Gemma 3's published values where a key is absent):
/// GeGLU with tanh-GELU, RMSNorm over each head of q and k before RoPE, RMSNorm on the attention and FFN
/// outputs before they join the residual stream, embeddings scaled by sqrt(D), and local layers with a
/// sliding window and their own RoPE base between global layers.
public struct BlockDescription: Codable, Equatable, Sendable {
    /// The gated feed-forward product act(gate x) * (up x).
    public enum FeedForward: String, Codable, Sendable {
        case swiGLU = "swiglu"
        /// gelu with the tanh approximation (Gemma's `gelu_pytorch_tanh`).
        case geGLUTanh = "geglu-tanh"
    }

    public var feedForward: FeedForward
    /// RMSNorm over each head of q and of k (weights [hd]) before RoPE.
    public var queryKeyNorm: Bool
    /// RMSNorm on the attention output and on the FFN output before each residual add.
    public var postNorms: Bool
    /// Token embeddings are multiplied by this (Gemma: sqrt(D)); nil: 1.
    public var embeddingScale: Float?
    /// Attention logits are q·k times this; nil: 1/sqrt(hd).
    public var attentionScale: Float?
    /// Local layers see keys at most `slidingWindow - 1` positions back; nil: every layer is global.
    public var slidingWindow: Int?
    /// Block i is global when (i + 1) is a multiple of this, local otherwise (Gemma 3: 6, so 5 local : 1 global).
    public var globalEvery: Int?
    /// RoPE base of local layers (global layers use the configuration's `ropeBase`).
    public var localRopeBase: Float?

    public init(feedForward: FeedForward, queryKeyNorm: Bool = false, postNorms: Bool = false, embeddingScale: Float? = nil,
                attentionScale: Float? = nil, slidingWindow: Int? = nil, globalEvery: Int? = nil,
                localRopeBase: Float? = nil) {
        self.feedForward = feedForward
        self.queryKeyNorm = queryKeyNorm
        self.postNorms = postNorms
        self.embeddingScale = embeddingScale
        self.attentionScale = attentionScale
        self.slidingWindow = slidingWindow
        self.globalEvery = globalEvery
        self.localRopeBase = localRopeBase
    }

    /// The LLaMA block (SmolLM2, Mistral, ...).
    public static let llama = BlockDescription(feedForward: .swiGLU)

    /// Whether block `layer` attends through a sliding window.
    public func isLocal(_ layer: Int) -> Bool {
        guard slidingWindow != nil, let every = globalEvery, every > 0 else { return false }
        return (layer + 1) % every != 0
    }

    /// The sliding window of block `layer` (nil: global attention).
    public func window(_ layer: Int) -> Int? { isLocal(layer) ? slidingWindow : nil }

    /// The RoPE base of block `layer`, given the model's (global) base.
    public func ropeBase(_ layer: Int, global: Float) -> Float { isLocal(layer) ? localRopeBase ?? global : global }

    /// Checks the numbers are usable, naming the first that is not.
    func validate(source: String) throws {
        func fail(_ why: String) -> CheckpointError { .invalid(path: source, reason: "model configuration: \(why)") }
        if let s = embeddingScale, !(s.isFinite && s > 0) { throw fail("embedding scale \(s)") }
        if let s = attentionScale, !(s.isFinite && s > 0) { throw fail("attention scale \(s)") }
        if let w = slidingWindow, w < 1 { throw fail("sliding window \(w)") }
        if let n = globalEvery, n < 1 { throw fail("global layer period \(n)") }
        if let b = localRopeBase, !(b > 1 && b.isFinite) { throw fail("local rope base \(b)") }
    }
}
