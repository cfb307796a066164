/// A bitset of L·N bits: bit (layer·N + j) is set iff LoRA j is among layer's top-k.
public struct AllocationCode: Codable, Sendable, Hashable {
    public let bitCount: Int
    public private(set) var words: [UInt64]

    public init(bitCount: Int) {
        precondition(bitCount >= 0, "AllocationCode: negative size")
        self.bitCount = bitCount
        self.words = [UInt64](repeating: 0, count: (bitCount + 63) / 64)
    }

    public init(bitCount: Int, words: [UInt64]) {
        precondition(words.count == (bitCount + 63) / 64, "AllocationCode: \(words.count) words for \(bitCount) bits")
        self.bitCount = bitCount
        self.words = words
    }

    public mutating func set(_ bit: Int) {
        precondition(bit >= 0 && bit < bitCount, "AllocationCode: bit \(bit) out of 0..<\(bitCount)")
        words[bit >> 6] |= 1 << UInt64(bit & 63)
    }

    public func contains(_ bit: Int) -> Bool {
        bit >= 0 && bit < bitCount && words[bit >> 6] & (1 << UInt64(bit & 63)) != 0
    }

    /// Number of differing bits.
    public func hammingDistance(to other: AllocationCode) -> Int {
        precondition(bitCount == other.bitCount, "AllocationCode: comparing \(bitCount) with \(other.bitCount) bits")
        var d = 0
        for i in 0..<words.count { d += (words[i] ^ other.words[i]).nonzeroBitCount }
        return d
    }
}
