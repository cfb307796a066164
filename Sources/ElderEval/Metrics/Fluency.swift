import ElderEditing
import ElderRecords

/// A model that continues a prompt greedily (the argmax token each step, at most `maxTokens`).
public protocol GreedyGenerator {
    func greedy(prompt: [Int], maxTokens: Int) throws -> [Int]
}

/// Fluency pooled over the prompts whose greedy answer gave the target.
public struct FluencyScore: Equatable, Codable, Sendable {
    /// Prompts checked, and those whose answer gave the target (the rates are over these).
    public var prompts: Int
    public var answered: Int
    public var continuationAgreement: Double
    public var repeatedTarget: Double
    public var repeatedBigramRate: Double

    public init(prompts: Int, answered: Int, continuationAgreement: Double, repeatedTarget: Double, repeatedBigramRate: Double) {
        self.prompts = prompts
        self.answered = answered
        self.continuationAgreement = continuationAgreement
        self.repeatedTarget = repeatedTarget
        self.repeatedBigramRate = repeatedBigramRate
    }

    public init(_ checks: [FluencyCheck]) {
        let held = checks.filter(\.answered)
        let n = Double(max(1, held.count))
        self.init(prompts: checks.count, answered: held.count,
                  continuationAgreement: Double(held.filter(\.continuationAgrees).count) / n,
                  repeatedTarget: Double(held.filter(\.repeatsTarget).count) / n,
                  repeatedBigramRate: held.reduce(0) { $0 + $1.repeatedBigramRate } / n)
    }
}

/// Measures the fluency of every prompt of some edits (the edit's prompt and its held-out paraphrases).
public struct FluencyEvaluator {
    public let encoder: TextEncoder
    public init(encoder: TextEncoder) { self.encoder = encoder }

    public func checks(_ edits: [EditRecord], edited: GreedyGenerator, base: GreedyGenerator) throws -> [FluencyCheck] {
        var out: [FluencyCheck] = []
        for edit in edits {
            let target = try encoder.encode(edit.target)
            for prompt in [edit.prompt] + edit.heldout {
                let p = try encoder.encode(prompt)
                let generated = try edited.greedy(prompt: p, maxTokens: target.count + FluencyCheck.continuationLength)
                var check = FluencyCheck(generated: generated, target: target, base: [])
                if check.answered {
                    let continuation = try base.greedy(prompt: p + target, maxTokens: FluencyCheck.continuationLength)
                    check = FluencyCheck(generated: generated, target: target, base: continuation)
                }
                out.append(check)
            }
        }
        return out
    }
}
