import ElderTensor

// The mixture of LoRAs and its routers as tape operations (their kernels: MixtureOfLoRA, Router).

/// How one sequence is routed at one adapted layer during training.
struct SequenceRoute {
    var experts: [Int]
    /// Constant weights, or nil to read them from the router probabilities (soft / paper-hard routing).
    var constantWeights: [Float]?
}

extension Tape {
    /// Router probabilities [S, N] = softmax(q Wᵀ + b) with q constant.
    func routerProbabilities(query: Tensor, weight: Variable, bias: Variable) -> Variable {
        let p = Router.probabilities(query: query, weight: weight.value, bias: bias.value)
        return custom(p, inputs: [weight, bias]) { dp in
            var dw = Tensor(zeros: weight.value.shape), db = Tensor(zeros: bias.value.shape)
            Router.backward(dw: &dw, db: &db, ds: dp, probabilities: p, query: query)
            weight.accumulateGradient(dw)
            bias.accumulateGradient(db)
        }
    }

    /// λ · Σ_seq Σ_{j ∈ allocated[seq]} −log p[seq, j] -> [1].
    func guidedLoss(_ probabilities: Variable, allocated: [[Int]], weight lambda: Float) -> Variable {
        let value = lambda * Router.guidedLoss(probabilities: probabilities.value, allocated: allocated)
        return custom(Tensor(shape: [1], scalars: [value]), inputs: [probabilities]) { dy in
            var dp = Tensor(zeros: probabilities.value.shape)
            Router.guidedLossBackward(ds: &dp, probabilities: probabilities.value, allocated: allocated, scale: lambda * dy.scalars[0])
            probabilities.accumulateGradient(dp)
        }
    }

    /// frozen + Σ_j diag(c_j)(v A_jᵀ)B_jᵀ over each sequence's rows, with c_j = scaling · weight.
    func mixtureOfLoRA(v: Variable, frozen: Variable, a: [Int: Variable], b: [Int: Variable], layout: RowLayout,
                       routes: [SequenceRoute], probabilities: Variable?, scaling: Float) -> Variable {
        let rowCount = layout.rowCount
        let n = probabilities?.value.lastDimension ?? 0
        var spans: [(rows: Range<Int>, experts: [Int], weights: [Float])] = []
        for (s, route) in routes.enumerated() {
            let weights = route.constantWeights ?? route.experts.map { probabilities!.value.scalars[s * n + $0] }
            spans.append((layout.ranges[s], route.experts, weights))
        }
        let mix = MixtureRows(rowCount: rowCount, spans: spans, scaling: scaling)
        var out = frozen.value
        let aValues = a.mapValues(\.value), bValues = b.mapValues(\.value)
        MixtureOfLoRA.forward(into: &out, v: v.value, a: aValues, b: bValues, mix: mix)
        let inputs = [v, frozen] + a.keys.sorted().map { a[$0]! } + b.keys.sorted().map { b[$0]! } + (probabilities.map { [$0] } ?? [])
        return custom(out, inputs: inputs) { dout in
            frozen.accumulateGradient(dout)
            var dv: Tensor? = v.requiresGrad ? Tensor(zeros: v.value.shape) : nil
            var da: [Int: Tensor] = [:], db: [Int: Tensor] = [:], dc: [Int: [Float]] = [:]
            let wantA = a.values.contains { $0.requiresGrad }, wantB = b.values.contains { $0.requiresGrad }
            let wantC = probabilities?.requiresGrad ?? false
            MixtureOfLoRA.backward(dv: &dv, da: &da, db: &db, dc: &dc, wantA: wantA, wantB: wantB, wantC: wantC,
                                   dout: dout, v: v.value, a: aValues, b: bValues, mix: mix)
            if let dv { v.accumulateGradient(dv) }
            for (j, g) in da { a[j]?.accumulateGradient(g) }
            for (j, g) in db { b[j]?.accumulateGradient(g) }
            if wantC, let probabilities {
                var dp = Tensor(zeros: probabilities.value.shape)
                for (s, route) in routes.enumerated() where route.constantWeights == nil {
                    for j in route.experts {
                        guard let column = dc[j] else { continue }
                        var total: Float = 0
                        for row in layout.ranges[s] { total += column[row] }
                        dp.scalars[s * n + j] += scaling * total
                    }
                }
                probabilities.accumulateGradient(dp)
            }
        }
    }
}
