import ElderEditing
import ElderStable

/// Seeded random mutations of a byte string, as a fuzzer's mutator makes them: bit flips, random bytes,
/// 1/2/4/8-byte fields set to values that break size arithmetic (0, 1, −1, 2^15…2^63), ranges cut, copied
/// or inserted, and splices of two inputs. The same seed gives the same inputs on every machine.
struct Mutator {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(rng.next() % UInt64(n)) }

    static let interesting: [UInt64] = [0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 1 << 16, 1 << 20, 1 << 24, 1 << 26,
                                        1 << 28, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 1 << 32, 1 << 40, 1 << 62,
                                        0x7fff_ffff_ffff_ffff, 0xffff_ffff_ffff_ffff, 0x7fc0_0000 /* NaN */, 0x7f80_0000 /* inf */]

    /// `input` with 1–4 mutations applied (or a splice with `other`).
    mutating func mutate(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var b = input
        for _ in 0..<(1 + below(4)) {
            switch below(9) {
            case 0 where !b.isEmpty:  // flip a bit
                let i = below(b.count)
                b[i] ^= UInt8(1 << below(8))
            case 1 where !b.isEmpty:  // a random byte
                b[below(b.count)] = UInt8(truncatingIfNeeded: rng.next())
            case 2, 3 where !b.isEmpty:  // an interesting little-endian field of 1, 2, 4 or 8 bytes
                let width = [1, 2, 4, 8][below(4)]
                guard b.count >= width else { continue }
                let at = below(b.count - width + 1)
                let value = Self.interesting[below(Self.interesting.count)]
                for k in 0..<width { b[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
            case 4 where b.count > 1:  // cut a range
                let at = below(b.count), n = 1 + below(min(64, b.count - at))
                b.removeSubrange(at..<(at + n))
            case 5 where !b.isEmpty:  // copy a range elsewhere
                let from = below(b.count), n = 1 + below(min(64, b.count - from)), to = below(b.count)
                b.insert(contentsOf: Array(b[from..<(from + n)]), at: to)
            case 6:  // insert random bytes
                let n = 1 + below(16)
                b.insert(contentsOf: (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: below(b.count + 1))
            case 7 where !b.isEmpty:  // truncate
                b.removeLast(below(b.count))
            case 8 where !other.isEmpty && !b.isEmpty:  // splice with another input
                b = Array(b[..<below(b.count)]) + Array(other[below(other.count)...])
            default:
                continue
            }
        }
        return b
    }
}
