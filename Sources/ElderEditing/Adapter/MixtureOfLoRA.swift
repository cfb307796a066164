import ElderTensor

// The mixture of LoRAs on one projection, forward and backward side by side (llm.c style).
//
//   T rows (tokens of every sequence in the batch), F input width (1536), D output width (576), r rank.
//   v      [T, F]   input of the frozen projection (the SwiGLU activation entering down_proj)
//   A_j    [r, F]   LoRA j's down matrix          B_j [D, r]   LoRA j's up matrix
//   c_j    [T]      per-row coefficient of LoRA j: scaling · (router weight of j for the row's sequence),
//                   0 for rows that do not use j (rows before the adapted span, or sequences routed elsewhere)
//   H_j = v · A_jᵀ  [T, r]        G_j = diag(c_j) · H_j        out += Σ_j G_j · B_jᵀ   [T, D]

/// Which LoRAs one layer's mixture uses, and each one's per-row coefficient.
public struct MixtureRows: Sendable, Equatable {
    /// expert index → coefficient for each of the T rows.
    public var coefficients: [Int: [Float]]

    public init(coefficients: [Int: [Float]]) {
        self.coefficients = coefficients
    }

    /// One mixture for every row in `rows` out of `rowCount`: `weights[i]` for expert `experts[i]`, times `scaling`.
    public init(rowCount: Int, spans: [(rows: Range<Int>, experts: [Int], weights: [Float])], scaling: Float) {
        var c: [Int: [Float]] = [:]
        for span in spans {
            precondition(span.experts.count == span.weights.count, "MixtureRows: experts and weights differ in count")
            for (j, w) in zip(span.experts, span.weights) {
                var column = c[j] ?? [Float](repeating: 0, count: rowCount)
                for r in span.rows { column[r] += scaling * w }
                c[j] = column
            }
        }
        coefficients = c
    }

    /// Experts in a fixed order (summation order is part of determinism).
    public var experts: [Int] { coefficients.keys.sorted() }
}

/// Forward and backward of the mixture of LoRAs added to a frozen projection's output.
public enum MixtureOfLoRA {
    /// `out += Σ_j diag(c_j) (v A_jᵀ) B_jᵀ`. `a[j]`, `b[j]` are LoRA j's matrices.
    public static func forward(into out: inout Tensor, v: Tensor, a: [Int: Tensor], b: [Int: Tensor], mix: MixtureRows) {
        let t = v.shape[0]
        for j in mix.experts {
            guard let aj = a[j], let bj = b[j], let c = mix.coefficients[j] else { continue }
            var h = matmul(v, aj, transposeB: true)                    // [T, r]
            scaleRows(&h, by: c, rowCount: t)                          // G_j
            matmul(into: &out, h, bj, transposeB: true, beta: 1)      // out += G_j B_jᵀ
        }
    }

    /// Gradients of a loss through `forward`, added into the given buffers:
    /// `dv` [T, F], `da[j]` [r, F], `db[j]` [D, r], `dc[j]` [T] (per-row coefficient gradients).
    /// Pass nil (or leave an expert out) for what needs no gradient.
    public static func backward(dv: inout Tensor?, da: inout [Int: Tensor], db: inout [Int: Tensor],
                                dc: inout [Int: [Float]], wantA: Bool, wantB: Bool, wantC: Bool,
                                dout: Tensor, v: Tensor, a: [Int: Tensor], b: [Int: Tensor], mix: MixtureRows) {
        let t = v.shape[0]
        for j in mix.experts {
            guard let aj = a[j], let bj = b[j], let c = mix.coefficients[j] else { continue }
            let h = matmul(v, aj, transposeB: true)                    // H_j [T, r]
            var g = h
            scaleRows(&g, by: c, rowCount: t)                          // G_j
            if wantB {
                var acc = db.removeValue(forKey: j) ?? Tensor(zeros: bj.shape)  // take it: no copy on write
                matmul(into: &acc, dout, g, transposeA: true, beta: 1) // dB_j += doutᵀ G_j   [D, r]
                db[j] = acc
            }
            let dg = matmul(dout, bj)                                  // dG_j = dout B_j     [T, r]
            if wantC {
                var acc = dc.removeValue(forKey: j) ?? [Float](repeating: 0, count: t)
                let r = h.shape[1]
                for row in 0..<t {
                    var s: Float = 0
                    for k in 0..<r { s += dg.scalars[row * r + k] * h.scalars[row * r + k] }
                    acc[row] += s
                }
                dc[j] = acc
            }
            var dh = dg
            scaleRows(&dh, by: c, rowCount: t)                         // dH_j = diag(c_j) dG_j
            if wantA {
                var acc = da.removeValue(forKey: j) ?? Tensor(zeros: aj.shape)
                matmul(into: &acc, dh, v, transposeA: true, beta: 1)   // dA_j += dH_jᵀ v     [r, F]
                da[j] = acc
            }
            if var acc = dv {
                dv = nil
                matmul(into: &acc, dh, aj, beta: 1)                    // dv += dH_j A_j      [T, F]
                dv = acc
            }
        }
    }

    /// Multiplies row i of a [T, n] matrix by `c[i]`.
    static func scaleRows(_ x: inout Tensor, by c: [Float], rowCount t: Int) {
        let n = x.count / max(t, 1)
        x.scalars.withUnsafeMutableBufferPointer { p in
            for row in 0..<t {
                let s = c[row]
                for k in 0..<n { p[row * n + k] *= s }
            }
        }
    }
}
