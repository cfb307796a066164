/// The presets: the published ELDER recipe, Elder's default, and the baselines, for a model of a given depth.
extension EditorConfiguration {
    /// The blocks the paper's placement maps to for a model of `blockCount` blocks: six consecutive
    /// blocks starting two thirds of the way up (LLaMA2-7B: 21–26 of 32; SmolLM2-135M: 20–25 of 30).
    public static func defaultLayers(blockCount: Int, count: Int = 6) -> [Int] {
        let first = min(max(0, (blockCount * 2) / 3), max(0, blockCount - count))
        return Array(first..<min(blockCount, first + count))
    }

    /// The published ELDER recipe: N 4, r 8, k 2, λ 0.01, ε 12, Adam 1e-4 for 50 steps, soft routing,
    /// query = `down_proj` input of the block below the first adapted block at the last prompt token.
    public static func elderPaper(blockCount: Int) -> EditorConfiguration {
        let layers = defaultLayers(blockCount: blockCount)
        return EditorConfiguration(
            method: .elderPaper, layers: layers, experts: 4, rank: 8, topK: 2, scaling: 1.0, guideWeight: 0.01,
            query: Query(source: .downProjInput, layer: max(0, layers[0] - 1), pooling: .lastToken, centred: false),
            deferral: .hamming(epsilon: layers.count * 4 / 2),
            adapterSpan: .wholeSequence, keyStorage: .each, trainingRouting: .soft, inferenceRouting: .routerTopK, allocationPolicy: .random,
            allocationKey: .edit, renormalizeTopK: false, trainA: true,
            learningRate: 1e-4, iterations: 50, earlyStop: false, trainingParaphrases: 3, replay: 0, seed: 0)
    }

    /// Elder's default method on the same module: the query is the residual after block 8 of 30, mean-pooled,
    /// centred and whitened (γ 0.3); two keys per edit (the prompt's and the centroid) with an exact-match
    /// similarity of 0.97; deferral by margin (0.2 over other edits, 0.1 over the reference prompts, at least
    /// 0.6); routing through the matched edit's own allocation, acting from the last prompt token on, λ 0;
    /// 128 LoRAs per layer, least-used allocation; the prompt and 4 paraphrases plus 2 replayed edits per
    /// batch, Adam 1e-3 for up to 50 steps, stopping once every target is the argmax and the mean target
    /// cross-entropy is at most 0.05. docs/ELDER.md ("Elder's default") gives the measurements behind each.
    public static func elderDefault(blockCount: Int) -> EditorConfiguration {
        // Small models (tests): keep the adapted layers above the query block.
        let layers = defaultLayers(blockCount: blockCount).filter { $0 > blockCount / 3 }
        return EditorConfiguration(
            method: .elder, layers: layers, experts: 128, rank: 8, topK: 2, scaling: 1.0, guideWeight: 0,
            query: Query(source: .residual, layer: (blockCount * 8) / 30, pooling: .mean, centred: true, whitening: 0.3),
            deferral: .similarityMargin(margin: 0.2, referenceMargin: 0.1, minimum: 0.6),
            adapterSpan: .fromLastPromptToken, keyStorage: .promptAndCentroid, trainingRouting: .hard, inferenceRouting: .matchedAllocation, allocationPolicy: .leastUsed,
            allocationKey: .edit, renormalizeTopK: false, trainA: true,
            learningRate: 1e-3, iterations: 50, earlyStop: true, trainingParaphrases: 4, replay: 2, seed: 0,
            exactMatch: 0.97, earlyStopLoss: 0.05)
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
