import ElderTensor
import Foundation

/// The shape of a decoder-only transformer, read from the checkpoint (GGUF metadata or `config.json`),
/// never hard-coded: sizes, RoPE, and what its block does (`block`; the LLaMA block unless the checkpoint
/// says otherwise). Derived sizes are computed properties. (CheckpointArchitectures reads the checkpoints.)
public struct LlamaConfiguration: Equatable, Sendable {
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
    /// What a block does beyond the LLaMA block (GeGLU, q/k norms, post-norms, sliding windows, ...).
    public var block: BlockDescription

    public enum RopeStyleName: String, Codable, Sendable {
        case adjacentPairs, halfSplit
        public var style: RopeStyle { self == .adjacentPairs ? .adjacentPairs : .halfSplit }
    }

    public init(vocabularySize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int,
                kvHeadCount: Int, headDimension: Int? = nil, rmsNormEpsilon: Float, ropeBase: Float,
                ropeStyle: RopeStyleName, tiedEmbeddings: Bool, contextLength: Int, block: BlockDescription = .llama) {
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
        self.block = block
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
        try block.validate(source: source)
    }
}

extension LlamaConfiguration: Codable {
    enum CodingKeys: String, CodingKey {
        case vocabularySize, hiddenSize, intermediateSize, layerCount, headCount, kvHeadCount, headDimension
        case rmsNormEpsilon, ropeBase, ropeStyle, tiedEmbeddings, contextLength, block
    }

    /// A configuration written before `block` existed is a LLaMA block.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(vocabularySize: try c.decode(Int.self, forKey: .vocabularySize), hiddenSize: try c.decode(Int.self, forKey: .hiddenSize),
                  intermediateSize: try c.decode(Int.self, forKey: .intermediateSize), layerCount: try c.decode(Int.self, forKey: .layerCount),
                  headCount: try c.decode(Int.self, forKey: .headCount), kvHeadCount: try c.decode(Int.self, forKey: .kvHeadCount),
                  headDimension: try c.decode(Int.self, forKey: .headDimension),
                  rmsNormEpsilon: try c.decode(Float.self, forKey: .rmsNormEpsilon), ropeBase: try c.decode(Float.self, forKey: .ropeBase),
                  ropeStyle: try c.decode(RopeStyleName.self, forKey: .ropeStyle),
                  tiedEmbeddings: try c.decode(Bool.self, forKey: .tiedEmbeddings),
                  contextLength: try c.decode(Int.self, forKey: .contextLength),
                  block: try c.decodeIfPresent(BlockDescription.self, forKey: .block) ?? .llama)
    }

    /// A LLaMA block writes no `block` key, so the `elder.json` of a LLaMA-family repo reads as it always did.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(headCount, forKey: .headCount)
        try c.encode(kvHeadCount, forKey: .kvHeadCount)
        try c.encode(headDimension, forKey: .headDimension)
        try c.encode(rmsNormEpsilon, forKey: .rmsNormEpsilon)
        try c.encode(ropeBase, forKey: .ropeBase)
        try c.encode(ropeStyle, forKey: .ropeStyle)
        try c.encode(tiedEmbeddings, forKey: .tiedEmbeddings)
        try c.encode(contextLength, forKey: .contextLength)
        if block != .llama { try c.encode(block, forKey: .block) }
    }
}
