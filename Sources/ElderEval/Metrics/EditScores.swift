/// The comparisons of one edit measured on one model state: its prompt (reliability), its held-out
/// paraphrases (generalization) and its locality probes.
public struct EditScores: Equatable, Codable, Sendable {
    public var editID: String
    public var reliability: [TokenComparison]
    public var generalization: [TokenComparison]
    public var locality: [TokenComparison]
    /// For an edit whose subject has other edits (siblings) with other targets: per prompt asked (the
    /// prompt, then each held-out paraphrase), the comparison with the sibling target the model comes
    /// closest to giving. nil when the edit has no such sibling.
    public var crossTalk: [TokenComparison]?

    public init(editID: String, reliability: [TokenComparison], generalization: [TokenComparison],
                locality: [TokenComparison], crossTalk: [TokenComparison]? = nil) {
        self.editID = editID
        self.reliability = reliability
        self.generalization = generalization
        self.locality = locality
        self.crossTalk = crossTalk
    }
}

/// Reliability, Generalization and Locality of one model state, after `editsApplied` edits.
///
/// Each metric pools the comparisons of all edits scored: one per edit prompt, one per held-out
/// paraphrase, one per probe.
public struct MetricsSnapshot: Equatable, Codable, Sendable {
    public var editsApplied: Int
    public var reliability: MetricScore
    public var generalization: MetricScore
    public var locality: MetricScore
    /// How often asking about one edit gives a sibling edit's target (lower is better): exact match = the
    /// sibling's whole target, token accuracy = the share of its tokens. nil when no edit scored had a sibling.
    public var crossTalk: MetricScore?
    /// How the edited answers read after their targets (greedy; measured after the last edit only).
    public var fluency: FluencyScore?

    public init(editsApplied: Int, reliability: MetricScore, generalization: MetricScore, locality: MetricScore,
                crossTalk: MetricScore? = nil, fluency: FluencyScore? = nil) {
        self.editsApplied = editsApplied
        self.reliability = reliability
        self.generalization = generalization
        self.locality = locality
        self.crossTalk = crossTalk
        self.fluency = fluency
    }

    /// Pools the comparisons of `scores` (edits measured on the same model state).
    public init(editsApplied: Int, scores: [EditScores]) {
        let crossTalk = scores.compactMap(\.crossTalk)
        self.init(editsApplied: editsApplied,
                  reliability: MetricScore(scores.flatMap(\.reliability)),
                  generalization: MetricScore(scores.flatMap(\.generalization)),
                  locality: MetricScore(scores.flatMap(\.locality)),
                  crossTalk: crossTalk.isEmpty ? nil : MetricScore(crossTalk.flatMap { $0 }))
    }

    public func score(_ metric: EditMetric) -> MetricScore {
        switch metric {
        case .reliability: reliability
        case .generalization: generalization
        case .locality: locality
        }
    }
}

/// Collects a lifelong run: a curve of snapshots taken while edits stream in, the final snapshot
/// after all T edits, and the "after each edit" protocol (each edit scored right after it is made).
public struct LifelongCurve: Equatable, Codable, Sendable {
    /// Snapshots in the order taken, `editsApplied` increasing.
    public private(set) var points: [MetricsSnapshot] = []
    /// Scores of each edit measured immediately after its own training step.
    public private(set) var immediateScores: [EditScores] = []
    /// The after-each-edit summary of a curve read back from a report, which keeps no per-edit scores.
    private var immediateSummary: MetricsSnapshot?

    public init() {}

    /// A curve as a report stores it: its snapshots and the after-each-edit summary (no per-edit scores).
    public init(points: [MetricsSnapshot], immediate: MetricsSnapshot?) throws(MetricError) {
        for point in points { try record(snapshot: point) }
        immediateSummary = immediate
    }

    /// Records the state after `editsApplied` edits, measured on `scores` (usually all edits so far).
    public mutating func record(editsApplied: Int, scores: [EditScores]) throws(MetricError) {
        if let last = points.last, editsApplied <= last.editsApplied {
            throw MetricError(description: "snapshot after \(editsApplied) edits comes after one at \(last.editsApplied); record them in order")
        }
        points.append(MetricsSnapshot(editsApplied: editsApplied, scores: scores))
    }

    /// Records an already pooled snapshot (e.g. read from a report), in order like `record(editsApplied:scores:)`.
    public mutating func record(snapshot: MetricsSnapshot) throws(MetricError) {
        if let last = points.last, snapshot.editsApplied <= last.editsApplied {
            throw MetricError(description: "snapshot after \(snapshot.editsApplied) edits comes after one at \(last.editsApplied); record them in order")
        }
        points.append(snapshot)
    }

    /// Adds the fluency measured on the state of the last snapshot.
    public mutating func recordFluency(_ fluency: FluencyScore) {
        guard !points.isEmpty else { return }
        points[points.count - 1].fluency = fluency
    }

    /// Records one edit scored right after it was made.
    public mutating func recordImmediate(_ scores: EditScores) { immediateScores.append(scores) }

    /// The last snapshot: after all edits (the ELDER protocol's number).
    public var final: MetricsSnapshot? { points.last }

    /// Mean over edits of their scores right after being made (EasyEdit's newer protocol).
    public var immediate: MetricsSnapshot? {
        immediateScores.isEmpty ? immediateSummary : MetricsSnapshot(editsApplied: immediateScores.count, scores: immediateScores)
    }
}
