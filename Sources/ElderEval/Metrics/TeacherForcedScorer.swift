import ElderRecords
/// A model as the benchmark sees it: under teacher forcing, the token it ranks first at each answer
/// position. The benchmark implements this with the real model (base, or base + an editor's adapter).
public protocol TeacherForcedScorer {
    /// For i in 0..<target.count: argmax of the next-token distribution after `prompt + target[..<i]`.
    func argmaxTokens(prompt: [Int], target: [Int]) throws -> [Int]
}

/// Turns text into token ids (the model's tokenizer; no BOS is added for SmolLM2).
public protocol TextEncoder {
    func encode(_ text: String) throws -> [Int]
}

/// The base model's argmax tokens on each probe's continuation, measured once before any edit.
public struct ProbeBaseline: Equatable, Codable, Sendable {
    public struct Entry: Equatable, Codable, Sendable {
        public var prompt: [Int]
        public var continuation: [Int]
        public var baseArgmax: [Int]
    }

    /// Keyed by probe prompt + "\u{0}" + continuation text.
    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    static func key(_ probe: Probe) -> String? {
        probe.continuation.map { probe.prompt + "\u{0}" + $0 }
    }

    /// Measures the base model on every probe not measured yet.
    public mutating func measure(_ probes: [Probe], base: TeacherForcedScorer, encoder: TextEncoder) throws {
        for probe in probes {
            guard let key = ProbeBaseline.key(probe) else {
                throw MetricError(description: "probe \"\(probe.prompt)\" has neither \"expected\" nor \"datasetAnswer\"; add the answer to teacher-force")
            }
            if entries[key] != nil { continue }
            let prompt = try encoder.encode(probe.prompt)
            let continuation = try encoder.encode(probe.continuation ?? "")
            guard !continuation.isEmpty else {
                throw MetricError(description: "probe \"\(probe.prompt)\" has an empty answer after tokenization")
            }
            let argmax = try base.argmaxTokens(prompt: prompt, target: continuation)
            entries[key] = Entry(prompt: prompt, continuation: continuation, baseArgmax: argmax)
        }
    }

    public func entry(for probe: Probe) -> Entry? {
        ProbeBaseline.key(probe).flatMap { entries[$0] }
    }
}

/// Scores one edit on one model state: Reliability on its prompt, Generalization on its held-out
/// paraphrases, Locality on its probes (argmax equal to the base model's at each continuation position).
public struct EditEvaluator {
    public let encoder: TextEncoder

    public init(encoder: TextEncoder) { self.encoder = encoder }

    /// `siblings`: the other edits made so far; those of the same subject (`subject`) with another target
    /// are checked for cross-talk on each of this edit's prompts.
    public func score(_ edit: EditRecord, model: TeacherForcedScorer, baseline: ProbeBaseline,
                      siblings: [EditRecord] = []) throws -> EditScores {
        let target = try encoder.encode(edit.target)
        func compare(_ prompt: String) throws -> TokenComparison {
            let predicted = try model.argmaxTokens(prompt: try encoder.encode(prompt), target: target)
            return try TokenComparison(predicted: predicted, reference: target)
        }
        let reliability = [try compare(edit.prompt)]
        let generalization = try edit.heldout.map(compare)
        let locality = try edit.probes.map { probe -> TokenComparison in
            guard let entry = baseline.entry(for: probe) else {
                throw MetricError(description: "probe \"\(probe.prompt)\" was not measured on the base model; call ProbeBaseline.measure first")
            }
            let predicted = try model.argmaxTokens(prompt: entry.prompt, target: entry.continuation)
            return try TokenComparison(predicted: predicted, reference: entry.baseArgmax)
        }
        return EditScores(editID: edit.id ?? edit.prompt, reliability: reliability, generalization: generalization,
                          locality: locality, crossTalk: try crossTalk(edit, target: target, siblings: siblings, model: model))
    }

    /// Per prompt of `edit` (prompt, then held-out paraphrases): the teacher-forced comparison with the
    /// sibling target it comes closest to (most tokens, then the first sibling); nil without siblings.
    func crossTalk(_ edit: EditRecord, target: [Int], siblings: [EditRecord],
                   model: TeacherForcedScorer) throws -> [TokenComparison]? {
        guard let subject = edit.subject else { return nil }
        var targets: [[Int]] = []
        for sibling in siblings where sibling.subject == subject && sibling != edit {
            let t = try encoder.encode(sibling.target)
            if t != target, !t.isEmpty, !targets.contains(t) { targets.append(t) }
        }
        guard !targets.isEmpty else { return nil }
        return try ([edit.prompt] + edit.heldout).map { prompt in
            let tokens = try encoder.encode(prompt)
            var best: TokenComparison?
            for t in targets {
                let c = try TokenComparison(predicted: try model.argmaxTokens(prompt: tokens, target: t), reference: t)
                func rank(_ c: TokenComparison) -> (Int, Int) { (c.exactMatch ? 1 : 0, c.matches) }
                if let b = best, rank(b) >= rank(c) { continue }
                best = c
            }
            return best!
        }
    }
}

extension EditEvaluator {
    /// Locality on a shared probe file (Samples/probes/): one comparison per probe against the base.
    public func scoreProbes(_ probes: [Probe], model: TeacherForcedScorer, baseline: ProbeBaseline) throws -> [TokenComparison] {
        try probes.map { probe in
            guard let entry = baseline.entry(for: probe) else {
                throw MetricError(description: "probe \"\(probe.prompt)\" was not measured on the base model; call ProbeBaseline.measure first")
            }
            let predicted = try model.argmaxTokens(prompt: entry.prompt, target: entry.continuation)
            return try TokenComparison(predicted: predicted, reference: entry.baseArgmax)
        }
    }
}
