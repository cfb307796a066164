// GGML's 5-bit and K-quant block encodings, one block to float32 at a time: the reference decoding that
// the fast decode kernels (QuantizedKernels) are tested against. Layouts, all little-endian (ggml-common.h):
//
//   Q5_0  32 values, 22 bytes: f16 d, u32 qh (bit j = 5th bit of value j), 16 bytes of nibbles
//         value j = d·((low nibble of byte j | bit j of qh << 4) - 16), value j+16 the high nibble, bit j+16
//   Q5_1  32 values, 24 bytes: f16 d, f16 m, u32 qh, 16 bytes; the same without the -16, plus m
//   K-quants: 256 values per super-block, in sub-blocks of 16 or 32 with their own 4/6/8-bit scales
//   Q2_K  84 bytes: 16 scale bytes (low nibble scale, high nibble min, per 16 values), 64 bytes of 2-bit q, f16 d, f16 dmin
//   Q3_K  110 bytes: 32 bytes hmask (3rd bit), 64 bytes of 2-bit q, 12 bytes of 16 packed 6-bit scales, f16 d
//   Q4_K  144 bytes: f16 d, f16 dmin, 12 bytes of 8 packed (6-bit scale, 6-bit min), 128 bytes of nibbles
//   Q5_K  176 bytes: as Q4_K plus 32 bytes qh (5th bits) before the nibbles
//   Q6_K  210 bytes: 128 bytes low nibbles, 64 bytes high 2-bit pairs, 16 int8 scales, f16 d
enum BlockFormats {
    @inline(__always)
    static func half(_ b: UnsafeRawBufferPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: UInt16(b[offset]) | UInt16(b[offset + 1]) << 8))
    }

    /// Decodes one block of `type` (its bytes) into `y` (its values).
    static func dequantize(_ b: UnsafeRawBufferPointer, type: GGMLType, into y: UnsafeMutableBufferPointer<Float>) {
        switch type {
        case .q5_0: q5(b, y, hasMin: false)
        case .q5_1: q5(b, y, hasMin: true)
        case .q2_K: q2K(b, y)
        case .q3_K: q3K(b, y)
        case .q4_K: q45K(b, y, hasHighBits: false)
        case .q5_K: q45K(b, y, hasHighBits: true)
        case .q6_K: q6K(b, y)
        default: preconditionFailure("BlockFormats: \(type.name) is not a block format of this file")
        }
    }

    static func q5(_ b: UnsafeRawBufferPointer, _ y: UnsafeMutableBufferPointer<Float>, hasMin: Bool) {
        let d = half(b, 0)
        let m: Float = hasMin ? half(b, 2) : -16 * d
        let h = hasMin ? 4 : 2
        let qh = UInt32(b[h]) | UInt32(b[h + 1]) << 8 | UInt32(b[h + 2]) << 16 | UInt32(b[h + 3]) << 24
        for j in 0..<16 {
            let q = b[h + 4 + j]
            let lo = UInt32(q & 0x0F) | ((qh >> UInt32(j)) & 1) << 4
            let hi = UInt32(q >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
            y[j] = d * Float(lo) + m
            y[j + 16] = d * Float(hi) + m
        }
    }

    /// Scale and min of sub-block j (0..<8) of a Q4_K / Q5_K block: 6 bits each, packed into 12 bytes.
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ s: UnsafeRawBufferPointer, _ at: Int) -> (scale: UInt8, min: UInt8) {
        if j < 4 { return (s[at + j] & 63, s[at + j + 4] & 63) }
        return ((s[at + j + 4] & 0x0F) | ((s[at + j - 4] >> 6) << 4), (s[at + j + 4] >> 4) | ((s[at + j] >> 6) << 4))
    }

    static func q45K(_ b: UnsafeRawBufferPointer, _ y: UnsafeMutableBufferPointer<Float>, hasHighBits: Bool) {
        let d = half(b, 0), dmin = half(b, 2)
        let qh = 16, qs = hasHighBits ? 48 : 16
        for pair in 0..<4 {  // 64 values: sub-block 2·pair from the low nibbles, 2·pair+1 from the high
            let (s1, m1) = scaleMinK4(2 * pair, b, 4), (s2, m2) = scaleMinK4(2 * pair + 1, b, 4)
            let d1 = d * Float(s1), d2 = d * Float(s2), min1 = dmin * Float(m1), min2 = dmin * Float(m2)
            for l in 0..<32 {
                let q = b[qs + 32 * pair + l]
                var lo = Int(q & 0x0F), hi = Int(q >> 4)
                if hasHighBits {
                    let h = b[qh + l]
                    lo |= Int((h >> UInt8(2 * pair)) & 1) << 4
                    hi |= Int((h >> UInt8(2 * pair + 1)) & 1) << 4
                }
                y[64 * pair + l] = d1 * Float(lo) - min1
                y[64 * pair + 32 + l] = d2 * Float(hi) - min2
            }
        }
    }

    static func q6K(_ b: UnsafeRawBufferPointer, _ y: UnsafeMutableBufferPointer<Float>) {
        let d = half(b, 208)
        for half128 in 0..<2 {
            let ql = 64 * half128, qh = 128 + 32 * half128, sc = 192 + 8 * half128, out = 128 * half128
            for l in 0..<32 {
                let h = b[qh + l]
                let q1 = Int((b[ql + l] & 0x0F) | ((h >> 0) & 3) << 4) - 32
                let q2 = Int((b[ql + l + 32] & 0x0F) | ((h >> 2) & 3) << 4) - 32
                let q3 = Int((b[ql + l] >> 4) | ((h >> 4) & 3) << 4) - 32
                let q4 = Int((b[ql + l + 32] >> 4) | ((h >> 6) & 3) << 4) - 32
                let s = l / 16
                func scale(_ i: Int) -> Float { d * Float(Int8(bitPattern: b[sc + i])) }
                y[out + l] = scale(s) * Float(q1)
                y[out + l + 32] = scale(s + 2) * Float(q2)
                y[out + l + 64] = scale(s + 4) * Float(q3)
                y[out + l + 96] = scale(s + 6) * Float(q4)
            }
        }
    }

    static func q2K(_ b: UnsafeRawBufferPointer, _ y: UnsafeMutableBufferPointer<Float>) {
        let d = half(b, 80), dmin = half(b, 82)
        var out = 0, scale = 0
        for half128 in 0..<2 {
            let q = 16 + 32 * half128
            for shift in stride(from: 0, to: 8, by: 2) {
                for part in 0..<2 {  // values from bytes q..<q+16, then q+16..<q+32
                    let sc = b[scale]
                    scale += 1
                    let dl = d * Float(sc & 0x0F), ml = dmin * Float(sc >> 4)
                    for l in 0..<16 {
                        y[out] = dl * Float((b[q + 16 * part + l] >> UInt8(shift)) & 3) - ml
                        out += 1
                    }
                }
            }
        }
    }

    /// The 16 signed 6-bit scales of a Q3_K block (12 packed bytes at `at`), minus 32.
    static func scalesQ3K(_ b: UnsafeRawBufferPointer, _ at: Int) -> [Int] {
        (0..<16).map { i -> Int in
            let low = i < 8 ? b[at + i] & 0x0F : b[at + i - 8] >> 4
            let high = (b[at + 8 + i % 4] >> UInt8(2 * (i / 4))) & 3
            return Int(low | high << 4) - 32
        }
    }

    static func q3K(_ b: UnsafeRawBufferPointer, _ y: UnsafeMutableBufferPointer<Float>) {
        let d = half(b, 108)
        let scales = scalesQ3K(b, 96)
        var out = 0, scale = 0, mask: UInt8 = 1
        for half128 in 0..<2 {
            let q = 32 + 32 * half128
            for shift in stride(from: 0, to: 8, by: 2) {
                for part in 0..<2 {
                    let dl = d * Float(scales[scale])
                    scale += 1
                    for l in 0..<16 {
                        let i = 16 * part + l
                        let low = Int((b[q + i] >> UInt8(shift)) & 3)
                        y[out] = dl * Float(low - (b[i] & mask != 0 ? 0 : 4))
                        out += 1
                    }
                }
                mask <<= 1
            }
        }
    }
}
