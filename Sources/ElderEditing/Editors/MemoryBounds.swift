import ElderModel

/// What an editor of one configuration over one model can hold in its memory: a memory read from a repo is
/// checked against it (`EditMemory.check`) before the editor uses it, so a forged codebook cannot index past
/// an array (an allocation naming LoRA 900 of 128, a code of the wrong length, a token id past the vocabulary)
/// or make a key of the wrong width.
public struct MemoryBounds: Sendable, Equatable {
    /// The query's width (keys, centre, scale; the whitening is width × width).
    public var width: Int
    /// Adapted layers, LoRAs per layer and LoRAs per edit and layer (mixture editors; the baselines' entries
    /// have no allocation).
    public var layers: Int
    public var experts: Int
    public var topK: Int
    /// Token ids are below this; a training row is at most `contextLength` tokens.
    public var vocabulary: Int
    public var contextLength: Int

    public init(width: Int, layers: Int, experts: Int, topK: Int, vocabulary: Int, contextLength: Int) {
        self.width = width
        self.layers = layers
        self.experts = experts
        self.topK = topK
        self.vocabulary = vocabulary
        self.contextLength = contextLength
    }

    /// The bounds of `configuration`'s editor over `model`.
    public init(configuration c: EditorConfiguration, model: LlamaConfiguration) {
        self.init(width: c.query.source == .residual ? model.hiddenSize : model.intermediateSize,
                  layers: c.layers.count, experts: c.experts, topK: c.topK, vocabulary: model.vocabularySize,
                  contextLength: model.contextLength)
    }
}

extension EditMemory {
    /// Throws `MemoryCodecError` naming the first thing in this memory that `bounds` does not allow.
    public func check(_ bounds: MemoryBounds) throws {
        func fail(_ reason: String) -> MemoryCodecError { MemoryCodecError(reason) }
        let width = bounds.width
        guard centre.isEmpty || centre.count == width, scale.isEmpty || scale.count == width,
              projection.isEmpty || projection.count == width * width,
              backgroundKeys.allSatisfy({ $0.count == width }) else {
            throw fail("the query centre, scale, whitening or reference keys are not of the model's query width \(width)")
        }
        var ids = Set<String>()
        for e in entries {
            guard ids.insert(e.id).inserted else { throw fail("edit \(e.id) is listed twice") }
            guard e.storedKeys.width == width || e.storedKeys.count == 0 else {
                throw fail("edit \(e.id) has keys of width \(e.storedKeys.width), the model's query has \(width)")
            }
            let chosen = e.allocation.experts
            if !chosen.isEmpty {
                guard chosen.count == bounds.layers,
                      chosen.allSatisfy({ $0.count == bounds.topK && Set($0).count == $0.count && $0.allSatisfy { (0..<bounds.experts).contains($0) } })
                else {
                    throw fail("edit \(e.id)'s allocation is not \(bounds.topK) distinct LoRAs of 0..<\(bounds.experts) in each of \(bounds.layers) layers")
                }
            }
            let bits = bounds.layers * bounds.experts
            guard e.codes.allSatisfy({ $0.bitCount == bits && $0.words.count == (bits + 63) / 64 }) else {
                throw fail("edit \(e.id) has an allocation code that is not \(bits) bits long")
            }
            guard e.rows.count == e.promptLengths.count else { throw fail("edit \(e.id) has \(e.rows.count) rows but \(e.promptLengths.count) prompt lengths") }
            for (row, length) in zip(e.rows, e.promptLengths) {
                guard row.count <= bounds.contextLength, (1..<max(row.count, 1)).contains(length),
                      row.allSatisfy({ (0..<bounds.vocabulary).contains($0) }) else {
                    throw fail("edit \(e.id) has a training row that is not a prompt and a target of tokens below \(bounds.vocabulary) within \(bounds.contextLength) tokens")
                }
            }
        }
    }
}
