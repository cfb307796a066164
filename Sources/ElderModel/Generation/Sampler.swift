import ElderStable
import ElderTensor
import Foundation

/// How the next token is chosen. Temperature 0 is greedy (argmax, ties to the lower id).
public struct SamplingParameters: Sendable, Equatable {
    public var temperature: Float
    /// Keep only the k most likely tokens (0: all).
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches p (1: all).
    public var topP: Float
    public var seed: UInt64

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }
    public static let greedy = SamplingParameters()
}

/// A seeded token sampler (SplitMix64 random numbers, so a seed gives the same tokens everywhere).
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var generator: SplitMix64

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        generator = SplitMix64(seed: parameters.seed)
    }

    mutating func nextUniform() -> Double {
        Double(generator.next() >> 11) / Double(1 << 53)
    }

    /// The next token id given one row of logits.
    public mutating func sample(_ logits: [Float]) -> Int {
        precondition(!logits.isEmpty, "Sampler: empty logits")
        let p = parameters
        if p.temperature <= 0 || p.topK == 1 {
            var best = 0
            for i in 1..<logits.count where logits[i] > logits[best] { best = i }
            return best
        }
        // Candidates, most likely first: top-k (or all), then nucleus cut.
        let k = p.topK > 0 ? min(p.topK, logits.count) : logits.count
        let candidates = topK(logits, k: k)
        let maxLogit = candidates[0].value
        var weights = candidates.map { Double(exp(($0.value - maxLogit) / p.temperature)) }
        let total = weights.reduce(0, +)
        var keep = weights.count
        if p.topP < 1 {
            var cumulative = 0.0
            for (i, w) in weights.enumerated() {
                cumulative += w / total
                if cumulative >= Double(p.topP) { keep = i + 1; break }
            }
        }
        weights = Array(weights.prefix(keep))
        let r = nextUniform() * weights.reduce(0, +)
        var acc = 0.0
        for (i, w) in weights.enumerated() {
            acc += w
            if r < acc { return candidates[i].index }
        }
        return candidates[keep - 1].index
    }
}
