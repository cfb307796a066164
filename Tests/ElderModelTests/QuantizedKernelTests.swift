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
            let scale = Float16(rng.uniform() * 0.05 + 0.001).bitPattern
            (block[0], block[1]) = (UInt8(scale & 0xFF), UInt8(scale >> 8))
            if format == .q4_1 {
                let minimum = Float16(-rng.uniform() * 0.4).bitPattern
                (block[2], block[3]) = (UInt8(minimum & 0xFF), UInt8(minimum >> 8))
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
            case .q8_0:
                out += bytes[(at + 2)..<(at + 34)].map { half(at) * Float(Int8(bitPattern: $0)) }
            }
        }
        return out
    }

    func testDequantizersFollowTheBlockLayoutBitForBit() {
        var rng = SeededRandom(7)
        for format in QuantizedFormat.allCases {
            let bytes = Self.randomBlocks(format, count: 37, rng: &rng)
            var got = [Float](repeating: .nan, count: 37 * 32)
            bytes.withUnsafeBytes { b in got.withUnsafeMutableBufferPointer { format.dequantize(b.baseAddress!, $0.baseAddress!, count: 37 * 32) } }
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
                let bytes = Self.randomBlocks(format, count: k / 32, rng: &rng)
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
}
