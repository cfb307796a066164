import ElderTensor

// Decode-time products straight from GGUF's quantized blocks.
//
// W [N, K] is N rows of K/blockSize blocks, read in place from the memory-mapped checkpoint. With a few
// rows of x (T ≤ rowLimit, or a decoding step of up to decodingStepRowLimit sequences), x is quantized to
// int16 blocks and every row of W is an integer dot product per block with each row of x (the C kernels of
// `QuantizedFormat`, which unpack a block of W once for up to four rows of x), the rows of W split over the
// worker pool: decoding reads 4.5-8.5 bits per weight and converts none of them to float. With more rows,
// sgemm on float32 wins (on float32 kept, or made a slab at a time).

/// A weight matrix W [N, K] kept in its GGUF block encoding, read in place.
public struct PackedMatrix: Sendable {
    public let format: QuantizedFormat
    public let rows: Int     // N
    public let columns: Int  // K, a multiple of the format's block size
    let blocks: MappedRegion

    /// Rows of x up to which `linear` reads the blocks in general (beyond, sgemm on float32 wins).
    public static let rowLimit = 4

    /// Rows of x up to which a decoding step's products read the blocks (`BlockProductRule.decodingStep`): a
    /// server's batch of up to 16 sequences.
    public static let decodingStepRowLimit = 16

    /// Products of at least this many weights are split over the worker pool.
    static let parallelThreshold = 1 << 18

    /// Bytes of one row of blocks.
    var rowBytes: Int { columns / format.blockSize * format.blockBytes }

    /// The matrix over `blocks`, which must hold exactly rows × columns values of `format`.
    init?(format: QuantizedFormat, rows: Int, columns: Int, blocks: MappedRegion) {
        guard rows > 0, columns > 0, columns % format.blockSize == 0,
              blocks.count == rows * (columns / format.blockSize) * format.blockBytes else { return nil }
        (self.format, self.rows, self.columns, self.blocks) = (format, rows, columns, blocks)
    }

    /// The blocks, row after row.
    public func withBlocks<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try blocks.withUnsafeBytes(body)
    }

    /// The float32 values of W [N, K] (what the checkpoint's dequantization gives).
    public func dequantized() -> Tensor {
        var out = Tensor(zeros: [rows, columns])
        dequantizeRows(0..<rows, into: &out.scalars)
        return out
    }

    /// y [T, N] = x [T, K] · Wᵀ (for a few rows of x: see `rowLimit`).
    public func apply(_ x: Tensor) -> Tensor { Self.apply([self], to: x)[0] }

    /// x [T, K] · Wᵢᵀ for several matrices of K columns and a few rows of x (fused q/k/v and gate/up):
    /// x is quantized once per activation format, and all the matrices' rows are one job for the pool.
    public static func apply(_ matrices: [PackedMatrix], to x: Tensor) -> [Tensor] {
        let t = x.rowCount, k = x.lastDimension
        precondition(matrices.allSatisfy { $0.columns == k }, "PackedMatrix.apply: x \(x.shape) vs \(matrices.map(\.columns)) columns")
        let formats = Array(Set(matrices.map(\.format.activations)))
        let total = matrices.reduce(0) { $0 + $1.rows }
        var y = [Float](repeating: 0, count: t * total)   // matrix m's [T, N_m] at t × (rows before m)
        let parts = total * k >= parallelThreshold ? max(1, BLAS.threadCount) : 1
        withQuantizedRows(x, formats: formats) { activations in
            y.withUnsafeMutableBufferPointer { yp in
                withBlockPointers(matrices) { weights in
                    nonisolated(unsafe) let (yb, weights, activations) = (yp.baseAddress!, weights, activations)
                    let chunk = (total + parts - 1) / parts
                    WorkerPool.shared.run(parts: parts) { part in
                        var first = 0
                        for (m, matrix) in matrices.enumerated() {
                            defer { first += matrix.rows }
                            let lo = max(part * chunk - first, 0), hi = min((part + 1) * chunk - first, matrix.rows)
                            if lo >= hi { continue }
                            let a = activations[formats.firstIndex(of: matrix.format.activations)!]
                            let n = matrix.rows
                            matrix.format.dotRows(weights[m] + lo * matrix.rowBytes, Int64(hi - lo), a.pointer, Int64(a.rowBytes),
                                                  Int64(t), Int64(k), yb + t * first + lo, Int64(n))
                        }
                    }
                }
            }
        }
        var start = 0
        return matrices.map { m in
            defer { start += t * m.rows }
            return Tensor(shape: [t, m.rows], scalars: Array(y[start..<start + t * m.rows]))
        }
    }

    /// Float32 values of W kept at a time by `product`: 256 KB, which stays in cache while sgemm reads it.
    static let slabValues = 1 << 16

    /// y [T, N] = x [T, K] · Wᵀ for many rows of x without keeping W in float32: a slab of W's rows is
    /// dequantized at a time (the values `dequantized()` gives) and multiplied by sgemm.
    public func product(_ x: Tensor) -> Tensor {
        let t = x.rowCount, k = columns
        precondition(x.lastDimension == k, "PackedMatrix.product: x \(x.shape) vs \(columns) columns")
        let slabRows = max(1, min(rows, Self.slabValues / k))
        var y = Tensor(zeros: [t, rows])
        var slab = Tensor(zeros: [slabRows, k]), part = Tensor(zeros: [t, slabRows])
        var start = 0
        while start < rows {
            let n = min(slabRows, rows - start)
            if n != slab.rowCount { (slab, part) = (Tensor(zeros: [n, k]), Tensor(zeros: [t, n])) }
            dequantizeRows(start..<start + n, into: &slab.scalars)
            matmul(into: &part, x, slab, transposeB: true)
            y.scalars.withUnsafeMutableBufferPointer { yp in
                part.scalars.withUnsafeBufferPointer { pp in
                    for r in 0..<t { (yp.baseAddress! + r * rows + start).update(from: pp.baseAddress! + r * n, count: n) }
                }
            }
            start += n
        }
        return y
    }

    /// Rows `ids` of W as float32 [ids.count, K] (an embedding lookup on a quantized table). Ids must lie
    /// in 0..<N (programmer error otherwise).
    public func rows(_ ids: [Int]) -> Tensor {
        var out = Tensor(zeros: [ids.count, columns])
        var row = [Float](repeating: 0, count: columns)
        for (t, id) in ids.enumerated() {
            precondition(id >= 0 && id < rows, "PackedMatrix.rows: id \(id) out of 0..<\(rows)")
            dequantizeRows(id..<id + 1, into: &row)
            out.scalars.replaceSubrange(t * columns..<(t + 1) * columns, with: row)
        }
        return out
    }

    /// out[0..<rows.count × K] = the values of rows `rows`.
    func dequantizeRows(_ rows: Range<Int>, into out: inout [Float]) {
        let (k, stride, format) = (columns, rowBytes, format)
        precondition(out.count >= rows.count * k)
        blocks.withUnsafeBytes { w in
            out.withUnsafeMutableBufferPointer { o in
                format.dequantize(w.baseAddress! + rows.lowerBound * stride, o.baseAddress!, count: rows.count * k)
            }
        }
    }
}

/// Rows of activations quantized for one activation format: row r's blocks at pointer + r × rowBytes.
struct QuantizedRows {
    let pointer: UnsafeRawPointer
    let rowBytes: Int
}

/// Quantizes every row of x [T, K] to each format in `formats` (in a temporary buffer) for `body`.
private func withQuantizedRows<R>(_ x: Tensor, formats: [ActivationFormat], _ body: ([QuantizedRows]) -> R) -> R {
    let t = x.rowCount, k = x.lastDimension
    let sizes = formats.map { k / $0.blockSize * $0.blockBytes }
    return withUnsafeTemporaryAllocation(byteCount: t * sizes.reduce(0, +), alignment: 32) { buffer in
        var rows: [QuantizedRows] = []
        var offset = 0
        x.scalars.withUnsafeBufferPointer { xp in
            for (format, size) in zip(formats, sizes) {
                for r in 0..<t { format.quantize(xp.baseAddress! + r * k, buffer.baseAddress! + offset + r * size, count: k) }
                rows.append(QuantizedRows(pointer: UnsafeRawPointer(buffer.baseAddress! + offset), rowBytes: size))
                offset += t * size
            }
        }
        return body(rows)
    }
}

/// The base address of each matrix's blocks, valid inside `body`.
private func withBlockPointers<R>(_ matrices: [PackedMatrix], _ body: ([UnsafeRawPointer]) -> R) -> R {
    withExtendedLifetime(matrices) { body(matrices.map(\.blocks.baseAddress)) }
}

extension GGUFFile {
    /// The blocks of a matrix in a format `QuantizedFormat` decodes, read in place; nil for other encodings.
    public func packedMatrix(_ name: String) throws -> PackedMatrix? {
        guard let info = info(name), info.shape.count == 2, let format = QuantizedFormat(info.type) else { return nil }
        let region = try mappedRegion(info.fileOffset..<info.fileOffset + info.byteCount)
        guard let matrix = PackedMatrix(format: format, rows: info.shape[0], columns: info.shape[1], blocks: region) else {
            throw CheckpointError.invalid(path: path, reason: "tensor \(name): \(info.byteCount) bytes do not hold \(info.shape) \(info.type.name) values")
        }
        return matrix
    }
}
