/// `key=value` changes to a configuration, as `elder-bench … --set lr=1e-3` and `elder init --set` take them.
extension EditorConfiguration {
    /// The keys `applying(_:)` understands, with what each sets.
    public static let overrideKeys: [String: String] = [
        "layers": "adapted blocks, comma-separated (e.g. 20,21,22)", "experts": "LoRAs per layer (N)",
        "rank": "LoRA rank (r)", "topk": "LoRAs per layer used (k)", "scaling": "α/r",
        "lambda": "guided-loss weight", "lr": "learning rate", "iterations": "training steps per edit",
        "early-stop": "true/false",
        "stop-loss": "early stop also waits for the mean target cross-entropy to reach this (e.g. 0.1), or off",
        "paraphrases": "training paraphrases per batch", "replay": "earlier edits replayed",
        "replay-choice": "random | random-wording (any training wording, not only the prompt) | interfering (the live edits sharing the new edit's LoRAs, most similar first)",
        "seed": "random seed", "train-a": "train the A matrices (true/false)",
        "query-layer": "block whose output (or down_proj input) is the query", "query-source": "residual | down-proj-input",
        "query-pooling": "mean | last-token", "query-centred": "true/false", "query-standardized": "true/false",
        "query-whitening": "whitening strength γ of the query (e.g. 0.3), or off",
        "exact-similarity": "similarity at which an input counts as a stored prompt whatever the margins (e.g. 0.97), or off",
        "epsilon": "Hamming deferral threshold (switches to Hamming deferral)",
        "margin": "similarity deferral: margin τ over other edits (switches to similarity deferral)",
        "reference-margin": "similarity deferral: margin over the reference prompts",
        "min-similarity": "similarity deferral's minimum similarity",
        "span": "whole-sequence | from-last-prompt-token", "routing": "soft | hard (training)",
        "inference-routing": "router-top-k | matched-allocation", "allocation": "random | least-used | least-similar",
        "renormalize": "renormalize top-k weights (true/false)", "keys": "each | centroid | prompt-and-centroid",
    ]

    /// This configuration with `overrides` applied; an unknown key or a bad value is an error that says which.
    public func applying(_ overrides: [String: String]) throws -> EditorConfiguration {
        var c = self
        func bad(_ key: String, _ value: String) -> ConfigurationError {
            ConfigurationError(description: "bad value \"\(value)\" for \(key): expected \(EditorConfiguration.overrideKeys[key] ?? "?")")
        }
        func int(_ k: String, _ v: String) throws -> Int { guard let x = Int(v) else { throw bad(k, v) }; return x }
        func float(_ k: String, _ v: String) throws -> Float { guard let x = Float(v) else { throw bad(k, v) }; return x }
        func bool(_ k: String, _ v: String) throws -> Bool {
            switch v.lowercased() { case "true", "yes", "1": return true; case "false", "no", "0": return false; default: throw bad(k, v) }
        }
        func choice<T: RawRepresentable>(_ k: String, _ v: String) throws -> T where T.RawValue == String {
            guard let x = T(rawValue: v) else { throw bad(k, v) }
            return x
        }
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "layers":
                let parts = value.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { throw bad(key, value) }
                c.layers = parts.map { $0! }
            case "experts": c.experts = try int(key, value)
            case "rank": c.rank = try int(key, value)
            case "topk": c.topK = try int(key, value)
            case "scaling": c.scaling = try float(key, value)
            case "lambda": c.guideWeight = try float(key, value)
            case "lr": c.learningRate = try float(key, value)
            case "iterations": c.iterations = try int(key, value)
            case "early-stop": c.earlyStop = try bool(key, value)
            case "stop-loss": c.earlyStopLoss = value == "off" ? nil : try float(key, value)
            case "paraphrases": c.trainingParaphrases = try int(key, value)
            case "replay": c.replay = try int(key, value)
            case "replay-choice": c.replayChoice = try choice(key, value) as ReplayChoice
            case "seed": c.seed = UInt64(try int(key, value))
            case "train-a": c.trainA = try bool(key, value)
            case "query-layer": c.query.layer = try int(key, value)
            case "query-source": c.query.source = try choice(key, value)
            case "query-pooling": c.query.pooling = try choice(key, value)
            case "query-centred": c.query.centred = try bool(key, value)
            case "query-standardized": c.query.standardized = try bool(key, value)
            case "query-whitening": c.query.whitening = value == "off" ? nil : try float(key, value)
            case "exact-similarity": c.exactMatch = value == "off" ? nil : try float(key, value)
            case "epsilon": c.deferral = .hamming(epsilon: try int(key, value))
            case "margin", "reference-margin", "min-similarity":
                let x = try float(key, value)
                var (margin, reference, minimum): (Float, Float, Float) = (0, 0, 0)
                if case .similarityMargin(let m, let r, let n) = c.deferral { (margin, reference, minimum) = (m, r, n) }
                switch key {
                case "margin": margin = x
                case "reference-margin": reference = x
                default: minimum = x
                }
                c.deferral = .similarityMargin(margin: margin, referenceMargin: reference, minimum: minimum)
            case "span": c.adapterSpan = try choice(key, value)
            case "routing": c.trainingRouting = try choice(key, value)
            case "inference-routing": c.inferenceRouting = try choice(key, value)
            case "allocation": c.allocationPolicy = try choice(key, value)
            case "renormalize": c.renormalizeTopK = try bool(key, value)
            case "keys": c.keyStorage = try choice(key, value)
            default:
                throw ConfigurationError(description: "unknown setting \"\(key)\"; known: \(EditorConfiguration.overrideKeys.keys.sorted().joined(separator: ", "))")
            }
        }
        return c
    }
}

import Foundation

extension EditorConfiguration {
    /// Every setting `applying(_:)` understands, with this configuration's value: the configuration spelled
    /// out in the `--set` vocabulary, so a report can state exactly what ran (the method's preset with these
    /// settings applied gives this configuration back).
    public var settings: [String: String] {
        func text(_ x: Float?) -> String { x.map { "\($0)" } ?? "off" }
        var s: [String: String] = [
            "layers": layers.map(String.init).joined(separator: ","), "experts": "\(experts)", "rank": "\(rank)",
            "topk": "\(topK)", "scaling": "\(scaling)", "lambda": "\(guideWeight)", "lr": "\(learningRate)",
            "iterations": "\(iterations)", "early-stop": "\(earlyStop)", "stop-loss": text(earlyStopLoss),
            "paraphrases": "\(trainingParaphrases)", "replay": "\(replay)",
            "replay-choice": (replayChoice ?? .random).rawValue, "seed": "\(seed)", "train-a": "\(trainA)",
            "query-layer": "\(query.layer)", "query-source": query.source.rawValue, "query-pooling": query.pooling.rawValue,
            "query-centred": "\(query.centred)", "query-standardized": "\(query.standardized)",
            "query-whitening": text(query.whitening), "exact-similarity": text(exactMatch),
            "span": adapterSpan.rawValue, "routing": trainingRouting.rawValue, "inference-routing": inferenceRouting.rawValue,
            "allocation": allocationPolicy.rawValue, "renormalize": "\(renormalizeTopK)", "keys": keyStorage.rawValue,
        ]
        switch deferral {
        case .hamming(let epsilon): s["epsilon"] = "\(epsilon)"
        case .similarityMargin(let margin, let reference, let minimum):
            s["margin"] = "\(margin)"
            s["reference-margin"] = "\(reference)"
            s["min-similarity"] = "\(minimum)"
        }
        return s
    }
}
