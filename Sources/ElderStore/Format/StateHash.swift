import Crypto

/// The state hash recorded in every commit: SHA-256 over a fixed serialization of an `StoredState`.
///
/// Order: the ASCII tag `elder-state-v1` and a zero byte; then the adapter group (tag byte `A`) and the
/// router group (tag byte `R`), each as a u32 tensor count followed by its tensors in ascending order
/// of their names' UTF-8 bytes; each tensor is a u32 name length, the name's UTF-8 bytes, a u32 rank,
/// u64 dimensions and the float32 values' little-endian bytes. All integers little-endian.
public enum StateHash {
    public static func compute(_ state: StoredState) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("elder-state-v1".utf8) + [0])
        for (tag, group) in [(UInt8(ascii: "A"), state.tensors), (UInt8(ascii: "R"), state.routers)] {
            hasher.update(data: [tag])
            hasher.update(data: littleEndian(UInt32(group.count)))
            for name in sortedNames(group.keys) {
                let tensor = group[name]!
                let nameBytes = Array(name.utf8)
                hasher.update(data: littleEndian(UInt32(nameBytes.count)))
                hasher.update(data: nameBytes)
                hasher.update(data: littleEndian(UInt32(tensor.shape.count)))
                for d in tensor.shape { hasher.update(data: littleEndian(UInt64(d))) }
                // Float32 is little-endian on every platform Swift supports for Elder (x86-64, arm64).
                tensor.values.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            }
        }
        return hasher.finalize().map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
        }.joined()
    }

    /// Names in ascending order of their UTF-8 bytes (the order used everywhere in the format).
    static func sortedNames<S: Sequence>(_ names: S) -> [String] where S.Element == String {
        names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}
