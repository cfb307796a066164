/// GRACE's own knobs (Hartvigsen et al., "Aging with GRACE", NeurIPS 2023).
public struct GraceOptions: Codable, Sendable, Equatable {
    /// ε_init: the deferral radius a new key starts with (Euclidean, in the units of the layer's
    /// `down_proj` input). GRACE widens it to cover same-answer inputs and halves it between conflicting keys.
    public var initialRadius: Float
    /// How a new key's value starts: the layer's own output at that token ("warm") or U(0, 1) ("cold").
    public var warmValues: Bool

    public init(initialRadius: Float, warmValues: Bool = true) {
        self.initialRadius = initialRadius
        self.warmValues = warmValues
    }
}

extension EditorConfiguration {
    /// The block FT-L and GRACE edit by default: ⌊0.7 · blocks⌋ (21 of 30 for SmolLM2-135M, 22 of 32 for
    /// LLaMA-2-7B, where EasyEdit's FT-L uses 21). It lies inside the ELDER band (`defaultLayers`, 20–25 of
    /// 30), so every baseline edits the same part of the network as the mixture of LoRAs.
    public static func defaultSingleLayer(blockCount: Int) -> Int {
        max(1, min(blockCount - 1, (blockCount * 7) / 10))
    }

    /// The fields a baseline does not read, set to values that validate and say what they mean: one "expert",
    /// no router or guided loss, and a Hamming threshold no code can reach (the baseline always fires).
    static func baseline(method: Method, layers: [Int], rank: Int, span: AdapterSpan, learningRate: Float,
                         iterations: Int, trainingParaphrases: Int) -> EditorConfiguration {
        EditorConfiguration(
            method: method, layers: layers, experts: 1, rank: rank, topK: 1, scaling: 1.0, guideWeight: 0,
            query: Query(source: .downProjInput, layer: max(0, (layers.min() ?? 1) - 1), pooling: .lastToken, centred: false),
            deferral: .hamming(epsilon: layers.count + 1),
            adapterSpan: span, keyStorage: .each, trainingRouting: .hard, inferenceRouting: .matchedAllocation, allocationPolicy: .random,
            allocationKey: .edit, renormalizeTopK: false, trainA: true,
            learningRate: learningRate, iterations: iterations, earlyStop: true,
            trainingParaphrases: trainingParaphrases, replay: 0, seed: 0)
    }

    /// FT-L: a dense ΔW [D, F] on one block's `down_proj` (default `defaultSingleLayer`), Adam 5e-4 (EasyEdit's
    /// FT-L rate) for up to 50 steps (ELDER's budget) with early stopping, the mixture editor's batch
    /// (prompt + 3 paraphrases), applied to every token, no deferral.
    public static func fineTuneLayer(blockCount: Int, layer: Int? = nil) -> EditorConfiguration {
        baseline(method: .fineTuneLayer, layers: [layer ?? defaultSingleLayer(blockCount: blockCount)], rank: 1,
                 span: .wholeSequence, learningRate: 5e-4, iterations: 50, trainingParaphrases: 3)
    }

    /// One LoRA (r 8, α/r 1) on each of the ELDER layers' `down_proj`, trained on every edit (Adam 1e-3, up to
    /// 50 steps, early stopping, prompt + 3 paraphrases), applied to every token, no deferral.
    public static func singleLoRA(blockCount: Int) -> EditorConfiguration {
        baseline(method: .singleLoRA, layers: defaultLayers(blockCount: blockCount).filter { $0 > 0 }, rank: 8, span: .wholeSequence,
                 learningRate: 1e-3, iterations: 50, trainingParaphrases: 3)
    }

    /// GRACE at one block's `down_proj` (default `defaultSingleLayer`): keys = the SwiGLU activation at the
    /// last prompt token, values replace the layer's output from that token on. As in the paper each edit
    /// trains on its own prompt only (no paraphrases); Adam 0.1 on the value (warm start: the layer's own
    /// output) for up to 100 steps (GRACE's n_iter) with early stopping.
    /// ε_init = 2.0, measured on SmolLM2-135M block 21 (BaselineRealModelTests): keys have norm ≈ 12.6; the
    /// Lyon prompt's paraphrases lie 5.6–10.3 from its key and the nearest unrelated golden prompt ("The
    /// capital of Japan is") 4.9, so 2.0 keeps unrelated prompts of the same template outside a fresh key with
    /// a margin of 2×. GRACE's published 1.0 was set for other models' activation scales.
    public static func grace(blockCount: Int, layer: Int? = nil) -> EditorConfiguration {
        var c = baseline(method: .grace, layers: [layer ?? defaultSingleLayer(blockCount: blockCount)], rank: 1,
                         span: .fromLastPromptToken, learningRate: 1e-1, iterations: 100, trainingParaphrases: 0)
        c.grace = GraceOptions(initialRadius: 2.0)
        return c
    }

    /// The preset of `method` for a model of `blockCount` blocks.
    public static func preset(_ method: Method, blockCount: Int) -> EditorConfiguration {
        switch method {
        case .elder: return .elderDefault(blockCount: blockCount)
        case .elderPaper: return .elderPaper(blockCount: blockCount)
        case .fineTuneLayer: return .fineTuneLayer(blockCount: blockCount)
        case .singleLoRA: return .singleLoRA(blockCount: blockCount)
        case .grace: return .grace(blockCount: blockCount)
        }
    }
}
