/// FNV-1a over UTF-8: a stable 64-bit key for strings (edit ids, labels); Swift's `hashValue` is seeded per process.
public func stableHash(_ s: String, seed: UInt64 = 0) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
    for byte in s.utf8 {
        h ^= UInt64(byte)
        h = h &* 0x0000_0100_0000_01B3
    }
    return h
}

/// `value` as 16 lowercase hex digits, zero-padded (how stable hashes are written in names and reports).
public func hex16(_ value: UInt64) -> String {
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
