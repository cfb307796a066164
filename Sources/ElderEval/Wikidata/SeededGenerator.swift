import ElderEditing
import ElderStable

/// The edit-set builder's generator: Elder's SplitMix64 (one generator for the whole project), so a seed
/// gives the same edit set on every machine and Swift version.
public typealias SeededGenerator = SplitMix64

extension SplitMix64 {
    /// A uniform integer in 0..<bound (bound > 0), without modulo bias.
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "below(_:) needs a positive bound")
        let n = UInt64(bound)
        let limit = UInt64.max - UInt64.max % n
        while true {
            let x = next()
            if x < limit { return Int(x % n) }
        }
    }

    /// Fisher–Yates shuffle that uses only `below`, so the order is fixed by the seed.
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, below(i + 1))
        }
    }
}
