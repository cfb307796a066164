/// The paper's deferral memory: the allocation codes of live edits, searched for the nearest by Hamming
/// distance. Codes sit in one flat word array so a search over 100,000 codes is a tight popcount loop.
public struct Codebook: Sendable, Equatable {
    public let bitCount: Int
    public let wordsPerCode: Int
    /// All codes back to back, `wordsPerCode` words each.
    public private(set) var words: [UInt64] = []
    /// The edit each code belongs to.
    public private(set) var owners: [String] = []

    public init(bitCount: Int) {
        self.bitCount = bitCount
        self.wordsPerCode = (bitCount + 63) / 64
    }

    public var count: Int { owners.count }

    public mutating func insert(_ code: AllocationCode, owner: String) {
        precondition(code.bitCount == bitCount, "Codebook: code of \(code.bitCount) bits in a \(bitCount)-bit book")
        words.append(contentsOf: code.words)
        owners.append(owner)
    }

    /// Removes every code of `owner` (a reverted edit).
    public mutating func remove(owner: String) {
        var keptWords: [UInt64] = []
        var keptOwners: [String] = []
        keptWords.reserveCapacity(words.count)
        for (i, o) in owners.enumerated() where o != owner {
            keptWords.append(contentsOf: words[(i * wordsPerCode)..<((i + 1) * wordsPerCode)])
            keptOwners.append(o)
        }
        words = keptWords
        owners = keptOwners
    }

    /// The nearest stored code: its distance and owner, or nil for an empty book.
    public func nearest(to code: AllocationCode) -> (distance: Int, owner: String)? {
        precondition(code.bitCount == bitCount, "Codebook: code of \(code.bitCount) bits in a \(bitCount)-bit book")
        guard !owners.isEmpty else { return nil }
        var best = Int.max
        var bestIndex = 0
        let w = wordsPerCode
        code.words.withUnsafeBufferPointer { q in
            words.withUnsafeBufferPointer { all in
                for i in 0..<owners.count {
                    var d = 0
                    let base = i * w
                    for j in 0..<w { d += (all[base + j] ^ q[j]).nonzeroBitCount }
                    if d < best {
                        best = d
                        bestIndex = i
                        if d == 0 { break }
                    }
                }
            }
        }
        return (best, owners[bestIndex])
    }
}
