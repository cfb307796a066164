/// Why a metric could not be computed.
public struct MetricError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
}

/// One teacher-forced comparison: at each answer position, the token the model ranked first
/// (`predicted`) against the token it should give (`reference`).
///
/// For Reliability and Generalization the reference is the edit's target tokens; for Locality it is the
/// base model's own argmax at the same positions. A missing prediction counts as wrong.
public struct TokenComparison: Equatable, Codable, Sendable {
    public var predicted: [Int]
    public var reference: [Int]

    public init(predicted: [Int], reference: [Int]) throws(MetricError) {
        guard !reference.isEmpty else {
            throw MetricError(description: "a comparison needs at least one reference token (an empty answer was tokenized)")
        }
        self.predicted = predicted
        self.reference = reference
    }

    /// How many reference positions the prediction gets right.
    public var matches: Int {
        zip(predicted, reference).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
    }

    /// Fraction of reference tokens predicted exactly (EasyEdit's teacher-forced token accuracy).
    public var tokenAccuracy: Double { Double(matches) / Double(reference.count) }

    /// Whether every reference token is predicted (whole-answer exact match).
    public var exactMatch: Bool { predicted.count >= reference.count && matches == reference.count }
}

/// A metric over many comparisons: the mean token accuracy (each example weighs the same, however
/// long its answer) and the fraction of whole answers matched exactly.
public struct MetricScore: Equatable, Codable, Sendable {
    public var tokenAccuracy: Double
    public var exactMatch: Double
    /// Number of comparisons (examples) scored; zero means "not measured" and both rates are 0.
    public var count: Int

    public init(tokenAccuracy: Double, exactMatch: Double, count: Int) {
        self.tokenAccuracy = tokenAccuracy
        self.exactMatch = exactMatch
        self.count = count
    }

    public init(_ comparisons: [TokenComparison]) {
        count = comparisons.count
        guard count > 0 else { tokenAccuracy = 0; exactMatch = 0; return }
        tokenAccuracy = comparisons.reduce(0.0) { $0 + $1.tokenAccuracy } / Double(count)
        exactMatch = Double(comparisons.filter(\.exactMatch).count) / Double(count)
    }

    public static let empty = MetricScore(tokenAccuracy: 0, exactMatch: 0, count: 0)

    /// The value of one kind of rate.
    public func value(_ kind: MetricKind) -> Double { kind == .tokenAccuracy ? tokenAccuracy : exactMatch }
}

/// The two ways of scoring an answer.
public enum MetricKind: String, Codable, Sendable, CaseIterable {
    case tokenAccuracy = "token accuracy"
    case exactMatch = "exact match"
}

/// The three editing metrics of one model state.
public enum EditMetric: String, Codable, Sendable, CaseIterable {
    /// Edit prompts answer with their targets.
    case reliability = "Reliability"
    /// Held-out paraphrases answer with their edits' targets.
    case generalization = "Generalization"
    /// Unrelated probes answer as the base model does.
    case locality = "Locality"
}
