import ElderTensor

// Row slicing and stacking on the tape: the batch of an edit is several sequences of different lengths
// whose rows are stacked for the projections and split again for attention.

extension Tape {
    /// Rows `range` of x [T, n] -> [range.count, n].
    func rows(_ x: Variable, _ range: Range<Int>) -> Variable {
        if range == 0..<x.value.rowCount { return x }
        return embedding(x, ids: Array(range))
    }

    /// The rows of `parts` stacked in order -> [Σ T_i, n].
    func concatRows(_ parts: [Variable]) -> Variable {
        precondition(!parts.isEmpty, "concatRows: nothing to stack")
        if parts.count == 1 { return parts[0] }
        let n = parts[0].value.lastDimension
        var scalars: [Float] = []
        scalars.reserveCapacity(parts.reduce(0) { $0 + $1.value.count })
        for p in parts {
            precondition(p.value.lastDimension == n, "concatRows: widths differ")
            scalars.append(contentsOf: p.value.scalars)
        }
        let counts = parts.map { $0.value.rowCount }
        return custom(Tensor(shape: [counts.reduce(0, +), n], scalars: scalars), inputs: parts) { dy in
            var start = 0
            for (p, c) in zip(parts, counts) {
                if p.requiresGrad {
                    p.accumulateGradient(Tensor(shape: [c, n], scalars: Array(dy.scalars[(start * n)..<((start + c) * n)])))
                }
                start += c
            }
        }
    }
}
