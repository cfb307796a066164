/// The `--set key=value` vocabulary of an editor configuration, defined once: each setting's key, its help,
/// how a value is read into a configuration and how a configuration's value is written out. `elder init
/// --set` and `elder-bench … --set` read it (`applying`), reports write it (`settings`), help lists it
/// (`overrideKeys`).
public struct ConfigurationSetting: Sendable {
    public let key: String
    public let help: String
    /// Sets the value (a bad value is a `ConfigurationError` naming the key and what it expects).
    let read: @Sendable (inout EditorConfiguration, String) throws -> Void
    /// The configuration's value in this vocabulary; nil when the setting does not apply to it (ε of a
    /// similarity deferral).
    let write: @Sendable (EditorConfiguration) -> String?
}

extension EditorConfiguration {
    /// Every setting, in the order reports list them.
    public static let vocabulary: [ConfigurationSetting] = {
        typealias C = EditorConfiguration
        func setting(_ key: String, _ help: String, read: @escaping @Sendable (inout C, String, String) throws -> Void,
                     write: @escaping @Sendable (C) -> String?) -> ConfigurationSetting {
            ConfigurationSetting(key: key, help: help, read: { c, value in try read(&c, key, value) }, write: write)
        }
        return [
            setting("layers", "adapted blocks, comma-separated (e.g. 20,21,22)", read: { c, k, v in
                let parts = v.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { throw bad(k, v) }
                c.layers = parts.compactMap { $0 }
            }, write: { $0.layers.map(String.init).joined(separator: ",") }),
            setting("experts", "LoRAs per layer (N)", read: { c, k, v in c.experts = try int(k, v) }, write: { "\($0.experts)" }),
            setting("rank", "LoRA rank (r)", read: { c, k, v in c.rank = try int(k, v) }, write: { "\($0.rank)" }),
            setting("topk", "LoRAs per layer used (k)", read: { c, k, v in c.topK = try int(k, v) }, write: { "\($0.topK)" }),
            setting("scaling", "α/r", read: { c, k, v in c.scaling = try float(k, v) }, write: { "\($0.scaling)" }),
            setting("lambda", "guided-loss weight", read: { c, k, v in c.guideWeight = try float(k, v) }, write: { "\($0.guideWeight)" }),
            setting("lr", "learning rate", read: { c, k, v in c.learningRate = try float(k, v) }, write: { "\($0.learningRate)" }),
            setting("iterations", "training steps per edit", read: { c, k, v in c.iterations = try int(k, v) },
                    write: { "\($0.iterations)" }),
            setting("early-stop", "true/false", read: { c, k, v in c.earlyStop = try bool(k, v) }, write: { "\($0.earlyStop)" }),
            setting("stop-loss", "early stop also waits for the mean target cross-entropy to reach this (e.g. 0.1), or off",
                    read: { c, k, v in c.earlyStopLoss = try optionalFloat(k, v) }, write: { text($0.earlyStopLoss) }),
            setting("paraphrases", "training paraphrases per batch", read: { c, k, v in c.trainingParaphrases = try int(k, v) },
                    write: { "\($0.trainingParaphrases)" }),
            setting("replay", "earlier edits replayed", read: { c, k, v in c.replay = try int(k, v) }, write: { "\($0.replay)" }),
            setting("replay-choice", "random | random-wording (any training wording, not only the prompt) | interfering "
                    + "(the live edits sharing the new edit's LoRAs, most similar first)",
                    read: { c, k, v in c.replayChoice = try choice(k, v) as ReplayChoice },
                    write: { ($0.replayChoice ?? .random).rawValue }),
            setting("seed", "random seed", read: { c, k, v in c.seed = UInt64(try int(k, v)) }, write: { "\($0.seed)" }),
            setting("train-a", "train the A matrices (true/false)", read: { c, k, v in c.trainA = try bool(k, v) },
                    write: { "\($0.trainA)" }),
            setting("query-layer", "block whose output (or down_proj input) is the query",
                    read: { c, k, v in c.query.layer = try int(k, v) }, write: { "\($0.query.layer)" }),
            setting("query-source", "residual | down-proj-input", read: { c, k, v in c.query.source = try choice(k, v) },
                    write: { $0.query.source.rawValue }),
            setting("query-pooling", "mean | last-token", read: { c, k, v in c.query.pooling = try choice(k, v) },
                    write: { $0.query.pooling.rawValue }),
            setting("query-centred", "true/false", read: { c, k, v in c.query.centred = try bool(k, v) },
                    write: { "\($0.query.centred)" }),
            setting("query-standardized", "true/false", read: { c, k, v in c.query.standardized = try bool(k, v) },
                    write: { "\($0.query.standardized)" }),
            setting("query-whitening", "whitening strength γ of the query (e.g. 0.3), or off",
                    read: { c, k, v in c.query.whitening = try optionalFloat(k, v) }, write: { text($0.query.whitening) }),
            setting("exact-similarity", "similarity at which an input counts as a stored prompt whatever the margins (e.g. 0.97), or off",
                    read: { c, k, v in c.exactMatch = try optionalFloat(k, v) }, write: { text($0.exactMatch) }),
            setting("epsilon", "Hamming deferral threshold (switches to Hamming deferral)",
                    read: { c, k, v in c.deferral = .hamming(epsilon: try int(k, v)) },
                    write: { c in if case .hamming(let e) = c.deferral { return "\(e)" } else { return nil } }),
            setting("margin", "similarity deferral: margin τ over other edits (switches to similarity deferral)",
                    read: { c, k, v in setMargin(&c, margin: try float(k, v)) }, write: { margins($0).map { "\($0.margin)" } }),
            setting("reference-margin", "similarity deferral: margin over the reference prompts",
                    read: { c, k, v in setMargin(&c, reference: try float(k, v)) }, write: { margins($0).map { "\($0.reference)" } }),
            setting("min-similarity", "similarity deferral's minimum similarity",
                    read: { c, k, v in setMargin(&c, minimum: try float(k, v)) }, write: { margins($0).map { "\($0.minimum)" } }),
            setting("span", "whole-sequence | from-last-prompt-token", read: { c, k, v in c.adapterSpan = try choice(k, v) },
                    write: { $0.adapterSpan.rawValue }),
            setting("routing", "soft | hard (training)", read: { c, k, v in c.trainingRouting = try choice(k, v) },
                    write: { $0.trainingRouting.rawValue }),
            setting("inference-routing", "router-top-k | matched-allocation", read: { c, k, v in c.inferenceRouting = try choice(k, v) },
                    write: { $0.inferenceRouting.rawValue }),
            setting("allocation", "random | least-used | least-similar", read: { c, k, v in c.allocationPolicy = try choice(k, v) },
                    write: { $0.allocationPolicy.rawValue }),
            setting("renormalize", "renormalize top-k weights (true/false)", read: { c, k, v in c.renormalizeTopK = try bool(k, v) },
                    write: { "\($0.renormalizeTopK)" }),
            setting("keys", "each | centroid | prompt-and-centroid", read: { c, k, v in c.keyStorage = try choice(k, v) },
                    write: { $0.keyStorage.rawValue }),
            // Knobs added later are nil in configurations written before them; their setting reads the default
            // value back as nil, so spelling a configuration out and reading it back gives it unchanged.
            setting("rewordings", "rule-made rewordings of the prompt trained beside it (0: none)",
                    read: { c, k, v in let n = try int(k, v); c.rewordings = n == 0 ? nil : n },
                    write: { "\($0.rewordings ?? 0)" }),
            setting("rewording-keys", "the rewordings' queries are deferral keys too (true/false)",
                    read: { c, k, v in c.rewordingKeys = try bool(k, v) ? true : nil }, write: { "\($0.rewordingKeys ?? false)" }),
            setting("rewordings-per-step", "how many of the rewordings each training step takes, in turn (0: all)",
                    read: { c, k, v in let n = try int(k, v); c.rewordingsPerStep = n == 0 ? nil : n },
                    write: { "\($0.rewordingsPerStep ?? 0)" }),
            setting("answer-stop", "the adapter stops once the taught answer is out (true/false)",
                    read: { c, k, v in c.stopAfterAnswer = try bool(k, v) ? nil : false }, write: { "\($0.stopAfterAnswer ?? true)" }),
            setting("sibling-margin", "the deferral margin leaves out edits about the same subject as the matched one (true/false)",
                    read: { c, k, v in c.siblingMargin = try bool(k, v) ? true : nil }, write: { "\($0.siblingMargin ?? false)" }),
        ]
    }()

    /// The keys `applying(_:)` understands, with what each sets.
    public static let overrideKeys: [String: String] = Dictionary(uniqueKeysWithValues: vocabulary.map { ($0.key, $0.help) })

    /// This configuration with `overrides` applied (in key order); an unknown key or a bad value is an error
    /// that says which.
    public func applying(_ overrides: [String: String]) throws -> EditorConfiguration {
        var c = self
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            guard let setting = Self.vocabulary.first(where: { $0.key == key }) else {
                throw ConfigurationError(description: "unknown setting \"\(key)\"; known: \(Self.overrideKeys.keys.sorted().joined(separator: ", "))")
            }
            try setting.read(&c, value)
        }
        return c
    }

    /// Every setting that applies to this configuration, with its value: the configuration spelled out in the
    /// `--set` vocabulary, so a report can state exactly what ran (the method's preset with these settings
    /// applied gives this configuration back).
    public var settings: [String: String] {
        var s: [String: String] = [:]
        for setting in Self.vocabulary { if let value = setting.write(self) { s[setting.key] = value } }
        return s
    }
}

// Readers and writers of setting values, shared by the vocabulary's entries.
private func bad(_ key: String, _ value: String) -> ConfigurationError {
    ConfigurationError(description: "bad value \"\(value)\" for \(key): expected \(EditorConfiguration.overrideKeys[key] ?? "?")")
}
private func int(_ k: String, _ v: String) throws -> Int { guard let x = Int(v) else { throw bad(k, v) }; return x }
private func float(_ k: String, _ v: String) throws -> Float { guard let x = Float(v) else { throw bad(k, v) }; return x }
private func optionalFloat(_ k: String, _ v: String) throws -> Float? { v == "off" ? nil : try float(k, v) }
private func bool(_ k: String, _ v: String) throws -> Bool {
    switch v.lowercased() { case "true", "yes", "1": return true; case "false", "no", "0": return false; default: throw bad(k, v) }
}
private func choice<T: RawRepresentable>(_ k: String, _ v: String) throws -> T where T.RawValue == String {
    guard let x = T(rawValue: v) else { throw bad(k, v) }
    return x
}
private func text(_ x: Float?) -> String { x.map { "\($0)" } ?? "off" }

/// The similarity deferral's three numbers; setting one switches the deferral to similarity.
private func margins(_ c: EditorConfiguration) -> (margin: Float, reference: Float, minimum: Float)? {
    if case .similarityMargin(let m, let r, let n) = c.deferral { return (m, r, n) }
    return nil
}
private func setMargin(_ c: inout EditorConfiguration, margin: Float? = nil, reference: Float? = nil, minimum: Float? = nil) {
    let m = margins(c) ?? (0, 0, 0)
    c.deferral = .similarityMargin(margin: margin ?? m.margin, referenceMargin: reference ?? m.reference,
                                   minimum: minimum ?? m.minimum)
}
