import Crypto

/// The state hash recorded in every commit: SHA-256 over a fixed serialization of an `StoredState`.
///
/// Order: the ASCII tag `elder-state-v1` and a zero byte; then the adapter group (tag byte `A`) and the
/// router group (tag byte `R`), each as a u32 tensor count followed by its tensors in ascending order
/// of their names' UTF-8 bytes; each tensor is a u32 name length, the name's UTF-8 bytes, a u32 rank,
/// u64 dimensions and the float32 values' little-endian bytes. All integers little-endian.
public enum StateHash {
    public static func compute(_ state: StoredState) -> String {
        compute(state.tensors, state.routers, shape: \.shape) { tensor, hasher in
            // Float32 is little-endian on every platform Swift supports for Elder (x86-64, arm64).
            tensor.values.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        }
    }

    /// The hash of `state`'s float values on `grid`, `compute(state.floats(on: grid))`, without a float copy
    /// of the whole state: the values are converted and hashed a slice at a time.
    static func compute(_ state: GridState, on grid: Grid) -> String {
        let step = grid.step
        var slice = [Float](repeating: 0, count: 1 << 14)
        return compute(state.tensors, state.routers, shape: \.shape) { tensor, hasher in
            tensor.units.withUnsafeBufferPointer { units in
                var start = 0
                while start < units.count {
                    let n = min(slice.count, units.count - start)
                    slice.withUnsafeMutableBufferPointer { out in
                        for i in 0..<n { out[i] = Float(units[start + i]) * step }
                    }
                    slice.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<(n * 4)])) }
                    start += n
                }
            }
        }
    }

    /// The serialization above over either form of a state; `values` feeds one tensor's float32 bytes.
    private static func compute<T>(_ adapter: [String: T], _ routers: [String: T], shape: (T) -> [Int],
                                   values: (T, inout SHA256) -> Void) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("elder-state-v1".utf8) + [0])
        for (tag, group) in [(UInt8(ascii: "A"), adapter), (UInt8(ascii: "R"), routers)] {
            hasher.update(data: [tag])
            hasher.update(data: littleEndian(UInt32(group.count)))
            for name in sortedNames(group.keys) {
                let tensor = group[name]!
                let nameBytes = Array(name.utf8)
                let dimensions = shape(tensor)
                hasher.update(data: littleEndian(UInt32(nameBytes.count)))
                hasher.update(data: nameBytes)
                hasher.update(data: littleEndian(UInt32(dimensions.count)))
                for d in dimensions { hasher.update(data: littleEndian(UInt64(d))) }
                values(tensor, &hasher)
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
