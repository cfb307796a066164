import Foundation
import ElderTensor

// One layer's router, forward and backward side by side.
//
//   S sequences, Q query width, N LoRAs.
//   q [S, Q]   one query per sequence (no gradient into the base model)
//   W [N, Q], b [N]
//   z = q Wᵀ + b   [S, N]        s = softmax(z)   [S, N]
//   guided loss  L_g = Σ_seq Σ_{j ∈ allocation} −log s_j       (the paper's guide, summed over layers outside)

/// Router probabilities and the gradients that flow back through them.
public enum Router {
    /// Softmax router probabilities [S, N].
    public static func probabilities(query q: Tensor, weight w: Tensor, bias b: Tensor) -> Tensor {
        var z = matmul(q, w, transposeB: true)                         // [S, N]
        let n = w.shape[0]
        z.scalars.withUnsafeMutableBufferPointer { p in
            for row in 0..<(p.count / n) {
                for j in 0..<n { p[row * n + j] += b.scalars[j] }
            }
        }
        return softmax(z)
    }

    /// The guided loss of one layer: Σ over sequences of −log s[seq, j] for j in that sequence's allocated set.
    public static func guidedLoss(probabilities s: Tensor, allocated: [[Int]]) -> Float {
        let n = s.shape[1]
        var loss: Float = 0
        for (seq, chosen) in allocated.enumerated() {
            for j in chosen { loss -= log(max(s.scalars[seq * n + j], Float.leastNormalMagnitude)) }
        }
        return loss
    }

    /// dL/ds of the guided loss, added into `ds` [S, N].
    public static func guidedLossBackward(ds: inout Tensor, probabilities s: Tensor, allocated: [[Int]], scale: Float) {
        let n = s.shape[1]
        for (seq, chosen) in allocated.enumerated() {
            for j in chosen { ds.scalars[seq * n + j] -= scale / max(s.scalars[seq * n + j], Float.leastNormalMagnitude) }
        }
    }

    /// From dL/ds to dL/dW and dL/db (added into `dw`, `db`): dz = s ⊙ (ds − ⟨ds, s⟩), dW += dzᵀ q, db += Σ dz.
    public static func backward(dw: inout Tensor, db: inout Tensor, ds: Tensor, probabilities s: Tensor, query q: Tensor) {
        var dz = Tensor(zeros: s.shape)
        softmaxBackward(dx: &dz, dout: ds, out: s)
        matmul(into: &dw, dz, q, transposeA: true, beta: 1)
        let n = s.shape[1]
        for row in 0..<(dz.count / n) {
            for j in 0..<n { db.scalars[j] += dz.scalars[row * n + j] }
        }
    }

    /// The top-k LoRAs of each sequence and their weights (probabilities, renormalized if asked).
    public static func topKMixture(probabilities s: Tensor, k: Int, renormalize: Bool) -> [(experts: [Int], weights: [Float])] {
        let n = s.shape[1]
        return (0..<(s.count / n)).map { row in
            let top = topK(Array(s.scalars[(row * n)..<((row + 1) * n)]), k: k)
            var w = top.map(\.value)
            if renormalize {
                let total = w.reduce(0, +)
                if total > 0 { w = w.map { $0 / total } }
            }
            return (top.map(\.index), w)
        }
    }
}
