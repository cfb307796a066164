import Dispatch
import ElderTensor

// Decode-time matrix-vector products straight from GGUF's quantized blocks.
//
// A weight matrix W [N, K] stored as Q4_0, Q4_1 or Q8_0 blocks (32 values per block, a row of K/32
// blocks) is the same matrix as its float32 dequantization: w = d·q + m. Token-by-token decoding is
// bound by memory traffic, and the blocks are 4.5-8.5 bits per weight instead of 32, so y = W x
// reads the blocks:  y_n = Σ_b d_b · (Σ_j q_bj x_bj) + m_b · (Σ_j x_bj).
// Only the summation order differs from the float32 product (relative differences near 1e-6).

/// y = x · Wᵀ for x [T, K] and W [N, K]: from `packed` (W's quantized blocks) when decoding a few
/// rows, else the float32 product (ElderTensor's matmul, which has its own few-row path).
public func linear(_ x: Tensor, _ w: Tensor, packed: PackedMatrix? = nil) -> Tensor {
    if let packed, x.rowCount <= PackedMatrix.rowLimit { return packed.apply(x) }
    return matmul(x, w, transposeB: true)
}

/// A weight matrix kept in its GGUF block encoding, for fast matrix-vector products.
public struct PackedMatrix: Sendable, Equatable {
    public enum Format: Sendable, Equatable { case q4_0, q4_1, q8_0 }
    public let format: Format
    public let rows: Int     // N
    public let columns: Int  // K, a multiple of 32
    let blocks: [UInt8]

    /// Rows of x up to which `linear` reads the blocks (beyond, sgemm on float32 wins).
    public static let rowLimit = 4

    var blockBytes: Int { switch format { case .q4_0: return 18; case .q4_1: return 20; case .q8_0: return 34 } }

    /// The blocks of a GGUF tensor [rows, columns], if its type is one this kernel reads.
    init?(type: GGMLType, rows: Int, columns: Int, bytes: [UInt8]) {
        switch type {
        case .q4_0: format = .q4_0
        case .q4_1: format = .q4_1
        case .q8_0: format = .q8_0
        default: return nil
        }
        self.rows = rows
        self.columns = columns
        blocks = bytes
        guard columns % 32 == 0, bytes.count == rows * columns / 32 * blockBytes else { return nil }
    }

    /// y [T, N] = x [T, K] · Wᵀ.
    public func apply(_ x: Tensor) -> Tensor {
        precondition(x.lastDimension == columns, "PackedMatrix: x \(x.shape) vs [\(rows), \(columns)]")
        let t = x.rowCount, n = rows, k = columns, perRow = k / 32 * blockBytes
        var y = [Float](repeating: 0, count: t * n)
        // Σ_j x_bj per block and row of x (for the m·Σx and -8d·Σx terms).
        var sums = [Float](repeating: 0, count: t * k / 32)
        for r in 0..<t {
            for b in 0..<k / 32 {
                var s: Float = 0
                for j in 0..<32 { s += x.scalars[r * k + b * 32 + j] }
                sums[r * k / 32 + b] = s
            }
        }
        // Split the rows over BLAS.threadCount threads, as ElderTensor's few-row products do.
        let threads = n * k >= 1 << 18 ? max(1, BLAS.threadCount) : 1
        let format = self.format
        blocks.withUnsafeBytes { wp in
            x.scalars.withUnsafeBufferPointer { xp in
                sums.withUnsafeBufferPointer { sp in
                    y.withUnsafeMutableBufferPointer { yp in
                        nonisolated(unsafe) let (wb, xb, sb, yb) = (wp.baseAddress!, xp.baseAddress!, sp.baseAddress!, yp.baseAddress!)
                        let chunk = (n + threads - 1) / threads
                        DispatchQueue.concurrentPerform(iterations: threads) { part in
                            for row in part * chunk..<min(n, (part + 1) * chunk) {
                                let w = wb + row * perRow
                                for r in 0..<t {
                                    let xr = xb + r * k, sr = sb + r * k / 32
                                    switch format {
                                    case .q4_1: yb[r * n + row] = Self.dotQ4(w, xr, sr, k / 32, hasMin: true)
                                    case .q4_0: yb[r * n + row] = Self.dotQ4(w, xr, sr, k / 32, hasMin: false)
                                    case .q8_0: yb[r * n + row] = Self.dotQ8(w, xr, k / 32)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [t, n], scalars: y)
    }

    @inline(__always)
    static func half(_ p: UnsafeRawPointer) -> Float { Float(Float16(bitPattern: p.loadUnaligned(as: UInt16.self))) }

    @inline(__always)
    static func floats(_ v: SIMD8<UInt8>) -> SIMD8<Float> { SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: v)) }

    /// One row of Q4_0 / Q4_1 blocks times x: element j of a block is the low nibble of byte j,
    /// element j+16 the high nibble; Q4_0 stores q-8 (so m = -8d), Q4_1 stores d and m.
    @inline(__always)
    static func dotQ4(_ w: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>, _ count: Int,
                      hasMin: Bool) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
        var offsetSum: Float = 0
        let stride = hasMin ? 20 : 18
        let xr = UnsafeRawPointer(x)
        for b in 0..<count {
            let block = w + b * stride
            let d = half(block)
            let m = hasMin ? half(block + 2) : -8 * d
            let q = (block + (hasMin ? 4 : 2)).loadUnaligned(as: SIMD16<UInt8>.self)
            let lo = q & 0x0F, hi = q &>> 4
            let ds = SIMD8<Float>(repeating: d)
            let xb = xr + b * 128
            acc0 = acc0.addingProduct(floats(lo.lowHalf) * ds, xb.loadUnaligned(as: SIMD8<Float>.self))
            acc1 = acc1.addingProduct(floats(lo.highHalf) * ds, xb.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
            acc2 = acc2.addingProduct(floats(hi.lowHalf) * ds, xb.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
            acc3 = acc3.addingProduct(floats(hi.highHalf) * ds, xb.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
            offsetSum += m * sums[b]
        }
        return ((acc0 + acc1) + (acc2 + acc3)).sum() + offsetSum
    }

    /// One row of Q8_0 blocks (f16 d, 32 int8) times x.
    @inline(__always)
    static func dotQ8(_ w: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
        let xr = UnsafeRawPointer(x)
        @inline(__always) func weights(_ p: UnsafeRawPointer, _ ds: SIMD8<Float>) -> SIMD8<Float> {
            SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: p.loadUnaligned(as: SIMD8<Int8>.self))) * ds
        }
        for b in 0..<count {
            let block = w + b * 34
            let ds = SIMD8<Float>(repeating: half(block))
            let xb = xr + b * 128
            acc0 = acc0.addingProduct(weights(block + 2, ds), xb.loadUnaligned(as: SIMD8<Float>.self))
            acc1 = acc1.addingProduct(weights(block + 10, ds), xb.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
            acc2 = acc2.addingProduct(weights(block + 18, ds), xb.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
            acc3 = acc3.addingProduct(weights(block + 26, ds), xb.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
        }
        return ((acc0 + acc1) + (acc2 + acc3)).sum()
    }
}

extension GGUFFile {
    /// The raw blocks of a Q4_0 / Q4_1 / Q8_0 matrix, for decode kernels; nil for other encodings.
    public func packedMatrix(_ name: String) throws -> PackedMatrix? {
        guard let info = info(name), info.shape.count == 2, [.q4_0, .q4_1, .q8_0].contains(info.type) else { return nil }
        let bytes = try withFileBytes(info.fileOffset..<info.fileOffset + info.byteCount) { [UInt8]($0) }
        return PackedMatrix(type: info.type, rows: info.shape[0], columns: info.shape[1], bytes: bytes)
    }
}
