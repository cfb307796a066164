/// How an edited answer reads after its target: the edit's greedy answer to one prompt, set beside the
/// base model's greedy continuation of that prompt followed by the target.
public struct FluencyCheck: Equatable, Codable, Sendable {
    /// Tokens compared after the target.
    public static let continuationLength = 8

    /// The greedy answer starts with the target (the other fields say nothing when it does not).
    public var answered: Bool
    /// The next `continuationLength` tokens after the target are the base model's continuation of prompt + target.
    public var continuationAgrees: Bool
    /// The target's tokens come again within the tokens after it ("Spain Spain") where the base model's
    /// own continuation of prompt + target does not say them again.
    public var repeatsTarget: Bool
    /// Share of the generated text's token bigrams (target and continuation) that repeat an earlier one.
    public var repeatedBigramRate: Double

    /// Compares `generated` (the edited model's greedy tokens after the prompt) with `target` and the base
    /// model's continuation `base` of prompt + target.
    public init(generated: [Int], target: [Int], base: [Int]) {
        answered = !target.isEmpty && generated.starts(with: target)
        let after = answered ? Array(generated.dropFirst(target.count)) : []
        let n = Self.continuationLength
        continuationAgrees = answered && Array(after.prefix(n)) == Array(base.prefix(n))
        repeatsTarget = answered && Self.contains(Array(after.prefix(n)), target) && !Self.contains(Array(base.prefix(n)), target)
        repeatedBigramRate = Self.repeatedBigramRate(generated)
    }

    static func contains(_ haystack: [Int], _ needle: [Int]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    static func repeatedBigramRate(_ tokens: [Int]) -> Double {
        guard tokens.count > 2 else { return 0 }
        var seen: Set<[Int]> = []
        var repeated = 0
        for i in 0..<(tokens.count - 1) where !seen.insert([tokens[i], tokens[i + 1]]).inserted { repeated += 1 }
        return Double(repeated) / Double(tokens.count - 1)
    }
}
