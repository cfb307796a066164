/// Every knob of an editor, as one Codable value written into a knowledge repo's `elder.json`.
///
/// Two presets matter: `elderPaper` reproduces the published ELDER recipe (Li et al., AAAI 2025) as
/// faithfully as the paper allows, and `elderDefault` is Elder's own method on the same module (see
/// docs/ELDER.md for why it differs). Layer indices are absolute block indices.
public struct EditorConfiguration: Codable, Sendable, Equatable {
    /// Which editing method runs.
    public enum Method: String, Codable, Sendable, CaseIterable {
        case elder
        case elderPaper = "elder-paper"
        case fineTuneLayer = "ft-l"
        case singleLoRA = "lora"
        case grace
    }

    /// Which LoRAs carry the training gradient: the router's own top-k ("soft") or the preset allocation ("hard").
    public enum TrainingRouting: String, Codable, Sendable {
        case soft, hard
    }

    /// Which LoRAs an input goes through at inference.
    public enum InferenceRouting: String, Codable, Sendable {
        /// The routers' own top-k over their softmax (the paper).
        case routerTopK = "router-top-k"
        /// The allocation of the stored edit the deferral matched (Elder's default).
        case matchedAllocation = "matched-allocation"
    }

    /// Where the allocation of a new edit comes from.
    public enum AllocationPolicy: String, Codable, Sendable {
        /// k of N drawn at random per layer (the paper), distinct as whole codes where possible.
        case random
        /// per layer the k LoRAs that the fewest live edits use, ties broken at random.
        case leastUsed = "least-used"
        /// per layer the k LoRAs least used by live edits, each counted by its similarity to the new edit.
        case leastSimilar = "least-similar"
    }

    /// Which earlier edits are replayed beside a new one.
    public enum ReplayChoice: String, Codable, Sendable {
        /// Drawn at random from the live edits, their edited prompt's row.
        case random
        /// Drawn at random from the live edits, the row drawn among each one's prompt and training
        /// paraphrases (so rehearsal keeps the other wordings too).
        case randomWording = "random-wording"
        /// The live edits a new edit's training is most likely to move: those sharing its LoRAs, the most
        /// similar first; the replayed row turns through each edit's prompt and training paraphrases.
        case interfering
    }

    /// What an allocation is keyed by.
    public enum AllocationKey: String, Codable, Sendable {
        case edit, label
    }

    /// The positions an adapter acts on.
    public enum AdapterSpan: String, Codable, Sendable {
        /// Every token of the sequence (the paper: "the same mixture for every token").
        case wholeSequence = "whole-sequence"
        /// The last prompt token and everything generated after it: the prompt's own tokens keep their base
        /// activations, so their keys and values are computed once per edit, not once per training step.
        case fromLastPromptToken = "from-last-prompt-token"
    }

    /// What the similarity deferral stores per edit.
    public enum KeyStorage: String, Codable, Sendable {
        /// One key per training prompt (prompt and paraphrases).
        case each
        /// One key per edit: the unit-length mean of its prompts' keys (5× less memory and search).
        case centroid
        /// Two keys per edit: the edited prompt's own key (so the prompt itself always matches) and the centroid.
        case promptAndCentroid = "prompt-and-centroid"
    }

    /// The vector the routers and the deferral read: one per sequence.
    public struct Query: Codable, Sendable, Hashable {
        public enum Source: String, Codable, Sendable {
            /// The SwiGLU activation entering `down_proj` of `layer` (the paper; width F).
            case downProjInput = "down-proj-input"
            /// The residual stream after block `layer` (width D).
            case residual
        }
        public enum Pooling: String, Codable, Sendable {
            /// The last prompt token (the paper).
            case lastToken = "last-token"
            /// The mean over the prompt's tokens.
            case mean
        }
        public var source: Source
        public var layer: Int
        public var pooling: Pooling
        /// Subtract the mean query of a reference set of prompts before comparing.
        public var centred: Bool
        /// Also divide each dimension by the reference queries' spread (needs `centred`).
        public var standardized: Bool
        /// Whiten the centred query by the within-group scatter S of paraphrase groups that belong to no edit
        /// (`CalibrationPrompts`): q ↦ L⁻¹q with L·Lᵀ = S + γ·mean(diag S)·I, γ = this value (nil: off).
        /// Directions along which a query moves when only the wording changes then count for little.
        public var whitening: Float?

        public init(source: Source, layer: Int, pooling: Pooling, centred: Bool, standardized: Bool = false,
                    whitening: Float? = nil) {
            self.source = source
            self.layer = layer
            self.pooling = pooling
            self.centred = centred
            self.standardized = standardized
            self.whitening = whitening
        }
    }

    /// How the editor decides whether an input is inside some edit's scope.
    public enum Deferral: Codable, Sendable, Equatable {
        /// The paper: fire iff the minimum Hamming distance from the input's allocation code to a stored
        /// code is below `epsilon`.
        case hamming(epsilon: Int)
        /// Elder: fire iff the query's best cosine match among stored edit keys beats the best match of any
        /// other edit by at least `margin`, the best reference (background) prompt by at least
        /// `referenceMargin`, and is at least `minimum`.
        case similarityMargin(margin: Float, referenceMargin: Float, minimum: Float)
    }

    public var method: Method
    /// The blocks whose FFN `down_proj` carries a mixture of LoRAs (L = count).
    public var layers: [Int]
    /// LoRAs per layer (N).
    public var experts: Int
    /// LoRA rank (r).
    public var rank: Int
    /// LoRAs used per layer (k).
    public var topK: Int
    /// α / r.
    public var scaling: Float
    /// Guided-loss weight (λ).
    public var guideWeight: Float
    public var query: Query
    public var deferral: Deferral
    public var adapterSpan: AdapterSpan
    public var keyStorage: KeyStorage
    public var trainingRouting: TrainingRouting
    public var inferenceRouting: InferenceRouting
    public var allocationPolicy: AllocationPolicy
    public var allocationKey: AllocationKey
    /// Renormalize the top-k router weights to sum to one (the paper does not).
    public var renormalizeTopK: Bool
    /// Train the A matrices too (the paper) or keep them at their random init (smaller deltas).
    public var trainA: Bool
    public var learningRate: Float
    public var iterations: Int
    /// Stop once every training row's target tokens are the argmax.
    public var earlyStop: Bool
    /// Training paraphrases in a batch beside the prompt (the paper's batch of 4 = prompt + 3).
    public var trainingParaphrases: Int
    /// Earlier edits replayed in each edit's batch.
    public var replay: Int
    public var seed: UInt64
    /// GRACE's knobs (nil for every other method; see `GraceOptions`).
    public var grace: GraceOptions? = nil
    /// Similarity deferral: an input at least this similar to a stored key of an edit is in that edit's scope
    /// whatever the margins (the edited prompt itself, even beside an edit of the same template). nil: off.
    public var exactMatch: Float? = nil
    /// Early stop also waits until the batch's mean target cross-entropy is at most this (nil: the argmax
    /// rule alone). Training past the bare argmax gives the edit room to carry over to other wordings.
    public var earlyStopLoss: Float? = nil
    /// How replayed edits are chosen; nil (a configuration written before the choice existed) is `.random`.
    public var replayChoice: ReplayChoice? = .random
    /// Rule-made rewordings of the prompt (`PromptRewording.training`) trained beside it; nil: none.
    public var rewordings: Int? = nil
    /// Whether the rewordings' queries also become deferral keys of the edit (nil: no).
    public var rewordingKeys: Bool? = nil
    /// How many of the rewordings each training step takes, in turn (a step trains the given wordings and the
    /// next `rewordingsPerStep` rewordings); nil: all of them every step.
    public var rewordingsPerStep: Int? = nil
    /// Whether the adapter stops once the matched edit's taught answer is out, so the text after it is the
    /// base model's own continuation (`EditedModel`); nil: yes. `false` gives the older behaviour, where the
    /// adapter acts on every generated token (kept to measure against).
    public var stopAfterAnswer: Bool? = nil
    /// Similarity deferral: the margin is taken over the edits that share no rare name with the matched edit
    /// (`SharedNameSiblings`), so another fact about the same subject does not make an input about it
    /// ambiguous. nil: off (the margin is over every other edit).
    public var siblingMargin: Bool? = nil

    /// Allocation codes have one bit per (layer, LoRA).
    public var codeBits: Int { layers.count * experts }
}

/// A configuration that cannot work, with what to change.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension EditorConfiguration {
    /// The most LoRAs per adapted layer a configuration may ask for.
    public static let maximumExperts = 256

    /// Checks the numbers against each other and against a model of `blockCount` blocks.
    public func validate(blockCount: Int) throws {
        func fail(_ s: String) throws -> Never { throw ConfigurationError(description: s) }
        if layers.isEmpty { try fail("no adapted layers: set at least one layer") }
        if let bad = layers.first(where: { $0 < 0 || $0 >= blockCount }) {
            try fail("adapted layer \(bad) is outside the model's 0..<\(blockCount) blocks")
        }
        if Set(layers).count != layers.count { try fail("adapted layers repeat: \(layers)") }
        // An edit trains and infers through its own top-k LoRAs, so compute per edit does not grow with the
        // count; the adapter's memory does (about 105 k scalars per LoRA over 6 layers of SmolLM2).
        if experts < 1 || experts > Self.maximumExperts {
            try fail("experts per layer must be 1...\(Self.maximumExperts), got \(experts)")
        }
        if topK < 1 || topK > experts { try fail("top-k must be 1...\(experts), got \(topK)") }
        if rank < 1 { try fail("rank must be at least 1, got \(rank)") }
        if query.layer < 0 || query.layer >= blockCount {
            try fail("query layer \(query.layer) is outside the model's 0..<\(blockCount) blocks")
        }
        if query.layer >= (layers.min() ?? 0) {
            try fail("query layer \(query.layer) must be below the first adapted layer \(layers.min() ?? 0)")
        }
        if !(learningRate > 0) { try fail("learning rate must be positive, got \(learningRate)") }
        if iterations < 1 { try fail("iterations must be at least 1, got \(iterations)") }
        if trainingParaphrases < 0 || replay < 0 { try fail("paraphrase and replay counts cannot be negative") }
        try checkRanges()
    }

    /// The upper ends of the knobs: a configuration read from a repo someone else wrote must not make an
    /// edit train for days (`iterations`), an adapter too large to build (`rank`), or a number that is not one.
    public static let maximumIterations = 10_000
    public static let maximumRank = 256
    public static let maximumLayers = 1_024
    public static let maximumParaphrases = 64
    public static let maximumReplay = 1_024

    /// Ranges every knob must be in, whatever the model (part of `validate`).
    func checkRanges() throws {
        func fail(_ s: String) throws -> Never { throw ConfigurationError(description: s) }
        if layers.count > Self.maximumLayers { try fail("at most \(Self.maximumLayers) adapted layers, got \(layers.count)") }
        if rank > Self.maximumRank { try fail("rank must be 1...\(Self.maximumRank), got \(rank)") }
        if iterations > Self.maximumIterations { try fail("iterations must be 1...\(Self.maximumIterations), got \(iterations)") }
        if trainingParaphrases > Self.maximumParaphrases { try fail("training paraphrases must be 0...\(Self.maximumParaphrases), got \(trainingParaphrases)") }
        if let r = rewordings, r < 0 || r > Self.maximumParaphrases {
            try fail("rewordings must be 0...\(Self.maximumParaphrases), got \(r)")
        }
        if let r = rewordingsPerStep, r < 1 || r > Self.maximumParaphrases {
            try fail("rewordings per step must be 1...\(Self.maximumParaphrases), got \(r)")
        }
        if replay > Self.maximumReplay { try fail("replay must be 0...\(Self.maximumReplay), got \(replay)") }
        var numbers: [(String, Float, ClosedRange<Float>)] = [
            ("learning rate", learningRate, 0...10), ("scaling", scaling, -1_000...1_000), ("guide weight", guideWeight, 0...1_000),
        ]
        switch deferral {
        case let .hamming(epsilon):
            // An ε of codeBits or more never defers (the baselines' presets carry such values for their one
            // expert), so the bound is the largest code any configuration can have, not this one's.
            let largest = Self.maximumLayers * Self.maximumExperts
            if epsilon < 0 || epsilon > largest { try fail("Hamming ε must be 0...\(largest), got \(epsilon)") }
        case let .similarityMargin(margin, referenceMargin, minimum):
            numbers += [("deferral margin", margin, -2...2), ("reference margin", referenceMargin, -2...2), ("minimum similarity", minimum, -1...1)]
        }
        if let w = query.whitening { numbers.append(("whitening", w, 0...1_000)) }
        if let m = exactMatch { numbers.append(("exact-match similarity", m, -1...1)) }
        if let l = earlyStopLoss { numbers.append(("stop loss", l, 0...1_000)) }
        if let g = grace { numbers.append(("GRACE initial radius", g.initialRadius, 0...1_000)) }
        for (name, value, range) in numbers where !(value.isFinite && range.contains(value)) {
            try fail("\(name) must be a number in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
    }
}
