import CQuantizedKernels
import ElderModel
import ElderTestSupport
import XCTest

/// Every block format's C kernels against plain definitions: the dequantizer against GGML's block layout
/// written out value by value, the AVX2 activation quantizer and dot products against their plain-C
/// references, and the dot products against the float32 product of the dequantized weights with the
/// unquantized activations, within the bound that activation rounding allows.
final class QuantizedKernelTests: XCTestCase {
    /// Random blocks of `format`: fp16 scales in a realistic range, every other byte random.
    static func randomBlocks(_ format: QuantizedFormat, count: Int, rng: inout SeededRandom) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<count {
            var block = (0..<format.blockBytes).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            func setHalf(_ at: Int, _ x: Float) {
                let bits = Float16(x).bitPattern
                (block[at], block[at + 1]) = (UInt8(bits & 0xFF), UInt8(bits >> 8))
            }
            switch format {
            case .q4_1: setHalf(0, rng.uniform() * 0.05 + 0.001); setHalf(2, -rng.uniform() * 0.4)
            case .q4_K: setHalf(0, rng.uniform() * 0.005 + 0.0001); setHalf(2, rng.uniform() * 0.005)   // × 6-bit scales
            case .q6_K: setHalf(208, rng.uniform() * 0.002 + 0.0001)                                       // × int8 scales
            case .q4_0, .q5_0, .q8_0: setHalf(0, rng.uniform() * 0.05 + 0.001)
            }
            bytes += block
        }
        return bytes
    }

    /// GGML's definition of each format, one value at a time.
    static func definition(_ format: QuantizedFormat, _ bytes: [UInt8]) -> [Float] {
        func half(_ i: Int) -> Float { Float(Float16(bitPattern: UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8)) }
        var out: [Float] = []
        for at in stride(from: 0, to: bytes.count, by: format.blockBytes) {
            switch format {
            case .q4_0:
                let q = bytes[(at + 2)..<(at + 18)]
                out += q.map { half(at) * Float(Int($0 & 0x0F) - 8) } + q.map { half(at) * Float(Int($0 >> 4) - 8) }
            case .q4_1:
                let q = bytes[(at + 4)..<(at + 20)]
                out += q.map { half(at) * Float($0 & 0x0F) + half(at + 2) } + q.map { half(at) * Float($0 >> 4) + half(at + 2) }
            case .q5_0:
                // The fifth bit of value j is bit j of the u32 at 2; values j and j+16 share nibble byte j.
                let qh = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + 2 + $1]) << (8 * UInt32($1)) }
                let q = Array(bytes[(at + 6)..<(at + 22)])
                let d = half(at), m = -16 * d
                out += (0..<32).map { j -> Float in
                    let nibble = j < 16 ? UInt32(q[j] & 0x0F) : UInt32(q[j - 16] >> 4)
                    return d * Float(nibble | ((qh >> UInt32(j)) & 1) << 4) + m
                }
            case .q8_0:
                out += bytes[(at + 2)..<(at + 34)].map { half(at) * Float(Int8(bitPattern: $0)) }
            case .q4_K:
                // 8 sub-blocks of 32: 6-bit scale and min packed in 12 bytes at 4; nibbles at 16, sub-block j in
                // the low (even j) or high (odd j) nibbles of bytes 32·(j/2) ..< 32·(j/2)+32.
                let s = Array(bytes[(at + 4)..<(at + 16)])
                for j in 0..<8 {
                    let scale = j < 4 ? s[j] & 63 : (s[j + 4] & 0x0F) | (s[j - 4] >> 6) << 4
                    let minimum = j < 4 ? s[j + 4] & 63 : (s[j + 4] >> 4) | (s[j] >> 6) << 4
                    let dj = half(at) * Float(scale), mj = half(at + 2) * Float(minimum)
                    out += (0..<32).map { l -> Float in
                        let byte = bytes[at + 16 + 32 * (j / 2) + l]
                        return dj * Float(j % 2 == 0 ? byte & 0x0F : byte >> 4) - mj
                    }
                }
            case .q6_K:
                // Two halves of 128: low nibbles ql (64 bytes), 2-bit highs qh (32 bytes), 8 int8 scales of 16 values.
                for h in 0..<2 {
                    let ql = at + 64 * h, qh = at + 128 + 32 * h, sc = at + 192 + 8 * h
                    for i in 0..<4 {
                        out += (0..<32).map { l -> Float in
                            let byte = bytes[ql + l + 32 * (i % 2)]
                            let low = i < 2 ? byte & 0x0F : byte >> 4
                            let q = Int(low | ((bytes[qh + l] >> UInt8(2 * i)) & 3) << 4) - 32
                            return (half(at + 208) * Float(Int8(bitPattern: bytes[sc + 2 * i + l / 16]))) * Float(q)
                        }
                    }
                }
            }
        }
        return out
    }

    func testDequantizersFollowTheBlockLayoutBitForBit() {
        var rng = SeededRandom(7)
        for format in QuantizedFormat.allCases {
            let bytes = Self.randomBlocks(format, count: 37, rng: &rng)
            let n = 37 * format.blockSize
            var got = [Float](repeating: .nan, count: n)
            bytes.withUnsafeBytes { b in got.withUnsafeMutableBufferPointer { format.dequantize(b.baseAddress!, $0.baseAddress!, count: n) } }
            XCTAssertEqual(got.map(\.bitPattern), Self.definition(format, bytes).map(\.bitPattern), "\(format)")
        }
    }

    func testActivationQuantizationEqualsReference() {
        var rng = SeededRandom(8)
        var x = (0..<32 * 20).map { _ in rng.normal() * 3 }
        for j in 0..<32 { x[32 + j] = 0 }                          // an all-zero block
        for j in 0..<32 { x[64 + j] = Float(j % 5) - 2 }           // exact integers and ties after scaling
        x[100] = 1e-30; x[101] = -.greatestFiniteMagnitude / 1e10
        var fast = [elder_block_q16](repeating: elder_block_q16(), count: 20), slow = fast
        elder_quantize_q16(x, &fast, Int64(x.count))
        elder_quantize_q16_reference(x, &slow, Int64(x.count))
        for b in 0..<20 {
            XCTAssertEqual(fast[b].d.bitPattern, slow[b].d.bitPattern, "block \(b) scale")
            XCTAssertEqual(fast[b].s.bitPattern, slow[b].s.bitPattern, "block \(b) sum")
            XCTAssertEqual(Self.values(fast[b]), Self.values(slow[b]), "block \(b) values")
            let d = Double(fast[b].d)
            for (j, q) in Self.values(fast[b]).enumerated() {   // |x - d·q| ≤ d/2: round to nearest
                XCTAssertLessThanOrEqual(abs(Double(x[32 * b + j]) - d * Double(q)), d / 2 * (1 + 1e-6) + 1e-37)
            }
        }
    }

    static func values(_ block: elder_block_q16) -> [Int16] {
        withUnsafeBytes(of: block.q) { Array($0.bindMemory(to: Int16.self)) }
    }

    func testDotProductsMatchReferenceAndTheFloatProduct() {
        var rng = SeededRandom(9)
        let k = 32 * 24
        for format in QuantizedFormat.allCases {
            for trial in 0..<20 {
                let bytes = Self.randomBlocks(format, count: k / format.blockSize, rng: &rng)
                let w = Self.definition(format, bytes)
                let x = (0..<k).map { _ in rng.normal() * (trial % 2 == 0 ? 1 : 40) }
                var a = [elder_block_q16](repeating: elder_block_q16(), count: k / 32)
                elder_quantize_q16(x, &a, Int64(k))
                let (fast, reference) = bytes.withUnsafeBytes { b in
                    a.withUnsafeBytes { ap in
                        (format.dot(b.baseAddress!, ap.baseAddress!, Int64(k)), format.referenceDot(b.baseAddress!, ap.baseAddress!, Int64(k)))
                    }
                }
                // The same integer sums; only the float accumulation order differs.
                let magnitude = zip(w, x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
                XCTAssertEqual(Double(fast), Double(reference), accuracy: 1e-6 * magnitude + 1e-30, "\(format) fast vs reference")
                // Against Σ w·x in float64: each activation is off by at most d_b/2 (round to nearest).
                let exact = zip(w, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                var bound = 1e-6 * magnitude
                for b in 0..<k / 32 { bound += Double(a[b].d) / 2 * w[(32 * b)..<(32 * b + 32)].reduce(0.0) { $0 + abs(Double($1)) } }
                XCTAssertLessThanOrEqual(abs(Double(fast) - exact), bound, "\(format) vs float product, trial \(trial)")
            }
        }
    }

    /// The many-row products (a server's batch of decodes) give every pair of weight row and activation row
    /// the bits of the one-row product, whatever the count of rows from 1 to 16 (groups of four, a last group
    /// of two or three, a last lone row; more weight rows than a tile, a row length with blocks after the last
    /// group of four), and stay within the reference's rounding.
    func testManyRowProductsGiveEveryRowTheBitsOfTheOneRowProduct() {
        var rng = SeededRandom(10)
        for format in QuantizedFormat.allCases {
            for k in format.blockSize == 256 ? [512] : [32 * 18, 32 * 24] {
                let weightRows = 37
                let bytes = Self.randomBlocks(format, count: weightRows * k / format.blockSize, rng: &rng)
                let rowBytes = k / format.blockSize * format.blockBytes
                for rows in 1...16 {
                    let x = (0..<rows * k).map { _ in rng.normal() * (rows % 2 == 0 ? 1 : 30) }
                    var a = [elder_block_q16](repeating: elder_block_q16(), count: rows * k / 32)
                    a.withUnsafeMutableBufferPointer { ap in
                        for r in 0..<rows { elder_quantize_q16(Array(x[(r * k)..<((r + 1) * k)]), ap.baseAddress! + r * k / 32, Int64(k)) }
                    }
                    var y = [Float](repeating: .nan, count: rows * weightRows)
                    bytes.withUnsafeBytes { w in
                        a.withUnsafeBytes { ap in
                            y.withUnsafeMutableBufferPointer { yp in
                                format.dotRows(w.baseAddress!, Int64(weightRows), ap.baseAddress!, Int64(k / 32 * MemoryLayout<elder_block_q16>.stride),
                                               Int64(rows), Int64(k), yp.baseAddress!, Int64(weightRows))
                            }
                            for r in 0..<rows {
                                let row = ap.baseAddress! + r * k / 32 * MemoryLayout<elder_block_q16>.stride
                                for i in 0..<weightRows {
                                    let one = format.dot(w.baseAddress! + i * rowBytes, row, Int64(k))
                                    let reference = format.referenceDot(w.baseAddress! + i * rowBytes, row, Int64(k))
                                    let got = y[r * weightRows + i]
                                    XCTAssertEqual(got.bitPattern, one.bitPattern, "\(format) k \(k) rows \(rows): row \(r) × weight row \(i)")
                                    let w32 = Self.definition(format, Array(bytes[(i * rowBytes)..<((i + 1) * rowBytes)]))
                                    let magnitude = zip(w32, x[(r * k)..<((r + 1) * k)]).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
                                    XCTAssertEqual(Double(got), Double(reference), accuracy: 1e-6 * magnitude + 1e-30, "\(format) vs reference")
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
