/// What a tensor pack (`*.bin` of `delta/`, `router/`, `keyframe/`) holds, tensor by tensor, read with the
/// pack's own bounds (`TensorCodec`): what `git diff` shows of a tensor blob through `elder diff-driver`.
public struct TensorPackSummary: Sendable, Equatable {
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        /// Values that are not zero.
        public var nonzero: Int
        /// The largest |value| and the root mean square, in grid units.
        public var maxUnits: Int64
        public var rmsUnits: Double
        /// Sum of the values, in grid units (a fingerprint that moves with any change).
        public var sumUnits: Int64
    }
    public var tensors: [Tensor]

    /// Reads `blob` as a tensor pack; a blob that is not one, or breaks its bounds, is `StoreError.corrupt`.
    public init(pack blob: [UInt8], what: String = "tensor pack") throws {
        let tensors = try TensorCodec.decode(blob, what: what, zstd: ZstdContext())
        self.tensors = StateHash.sortedNames(tensors.keys).compactMap { name in
            guard let t = tensors[name] else { return nil }
            var nonzero = 0, largest: Int64 = 0, sum: Int64 = 0, squares = 0.0
            for u in t.units where u != 0 {
                let v = Int64(u)
                nonzero += 1
                largest = max(largest, abs(v))
                sum += v
                squares += Double(v) * Double(v)
            }
            return Tensor(name: name, shape: t.shape, nonzero: nonzero, maxUnits: largest,
                          rmsUnits: t.units.isEmpty ? 0 : (squares / Double(t.units.count)).squareRoot(), sumUnits: sum)
        }
    }

    /// True when `blob` starts as a tensor pack does ("ELDP").
    public static func looksLikePack(_ blob: [UInt8]) -> Bool { blob.starts(with: TensorCodec.magic) }
}
