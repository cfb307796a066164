import ElderStable
import Foundation

/// The repo format's generator (FORMAT.md "Generated root tensors"): SplitMix64 started at seed + γ, with
/// uniform and gaussian samples.
public struct SeededRandom: Sendable {
    private var generator: SplitMix64
    public init(seed: UInt64) { generator = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15) }

    public mutating func next() -> UInt64 { generator.next() }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Fills `out` with N(0, scale²) samples (Box–Muller).
    public mutating func gaussians(_ count: Int, scale: Double) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        var i = 0
        while i < count {
            let u1 = max(uniform(), 1e-300), u2 = uniform()
            let r = (-2 * Foundation.log(u1)).squareRoot() * scale
            out[i] = Float(r * cos(2 * .pi * u2))
            if i + 1 < count { out[i + 1] = Float(r * sin(2 * .pi * u2)) }
            i += 2
        }
        return out
    }
}
