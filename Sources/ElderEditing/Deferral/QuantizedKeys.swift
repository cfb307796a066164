/// Deferral keys held in 16-bit fixed point: each key is `width` signed 16-bit integers times its own
/// power-of-two scale. Half the memory of float32 with a per-component error of at most 2⁻¹⁵ of the key's
/// largest component (measured ≤ 2e-6 on 576-wide unit keys, far below the margins the deferral compares).
///
/// Why this form: at 100,000 edits the keys are most of the deferral's memory (issue #4). Float16 is as
/// small and, with F16C (Package.swift builds ElderEditing for haswell), as fast to search, but rounds 16×
/// more coarsely (2⁻¹¹ of each value); without F16C its conversion is a library call per value (measured
/// 6× slower than a float32 product). Int16 converts in one vector instruction on any x86-64. The
/// power-of-two scale makes dequantizing exact, so `QuantizedKeys(q.keys) == q`: a memory written as
/// float32 (`MemoryCodec`) and read back is equal bit for bit.
public struct QuantizedKeys: Sendable, Equatable {
    /// Values per key.
    public let width: Int
    /// The keys back to back, `width` values each: key i is `values[i*width ..< (i+1)*width] * scales[i]`.
    public private(set) var values: [Int16]
    /// Each key's scale, a power of two (0 for an all-zero key).
    public private(set) var scales: [Float]

    /// Quantizes `keys` (all of one width; non-finite values are stored as 0).
    public init(_ keys: [[Float]], width: Int? = nil) {
        let w = width ?? keys.first?.count ?? 0
        precondition(keys.allSatisfy { $0.count == w }, "QuantizedKeys: keys of different widths")
        self.width = w
        values = []
        values.reserveCapacity(keys.count * w)
        scales = []
        scales.reserveCapacity(keys.count)
        for key in keys { append(key) }
    }

    /// Adds one key (of `width` values).
    public mutating func append(_ key: [Float]) {
        precondition(key.count == width, "QuantizedKeys: key of \(key.count) values, width \(width)")
        let scale = Self.scale(of: key)
        scales.append(scale)
        guard scale > 0 else { values.append(contentsOf: repeatElement(0, count: width)); return }
        for x in key {
            guard x.isFinite else { values.append(0); continue }
            values.append(Int16(max(-32767, min(32767, (x / scale).rounded()))))
        }
    }

    /// 2^(e − 14) for the key's largest magnitude in [2^e, 2^(e+1)), so every value fits in 15 bits
    /// (no lower than 2⁻¹⁴⁹, where each multiple is still an exact float).
    static func scale(of key: [Float]) -> Float {
        var largest: Float = 0
        for x in key where x.isFinite { largest = max(largest, abs(x)) }
        guard largest > 0 else { return 0 }
        return Float(sign: .plus, exponent: max(-149, Int(largest.exponent) - 14), significand: 1)
    }

    public var count: Int { scales.count }

    /// Key `i` as floats (exact: a 15-bit integer times a power of two).
    public func key(_ i: Int) -> [Float] {
        let s = scales[i]
        return values[(i * width)..<((i + 1) * width)].map { Float($0) * s }
    }

    /// All keys as floats.
    public var keys: [[Float]] { (0..<count).map(key) }

    /// Bytes of key data held (values and scales; the two array headers are not counted).
    public var byteCount: Int { values.count * MemoryLayout<Int16>.size + scales.count * MemoryLayout<Float>.size }
}
