import ElderModel
import ElderStable
import ElderTensor

extension MixtureEditor {
    /// Trains one edit: a batch of the prompt, its training paraphrases and (if configured) replayed earlier
    /// edits, Adam on the LoRAs (and routers) with the loss on target tokens only, then stores the edit's
    /// allocation and deferral keys/codes. The frozen blocks below the adapter run once, not per step.
    public func edit(_ request: EditRequest) throws -> EditOutcome {
        let c = configuration
        guard memory.entry(request.id) == nil else { throw EditError.duplicateEdit(id: request.id) }
        let (givenTokens, target) = try validatedBatch(request, tokenizer: loaded.tokenizer,
                                                       paraphrases: c.trainingParaphrases,
                                                       contextLength: model.configuration.contextLength)
        // Rule-made rewordings of the prompt beside the given wordings (those that fit the context).
        let reworded = PromptRewording.training(request.prompt, count: c.rewordings ?? 0)
            .map { loaded.tokenizer.encode($0) }
            .filter { $0.count + target.count <= model.configuration.contextLength && !givenTokens.contains($0) }
        let promptTokens = givenTokens + reworded
        let keyedRows = c.rewordingKeys == true ? promptTokens.count : givenTokens.count

        // The edit's rows through the frozen blocks, then its allocation, then the replayed edits' rows.
        var sequences = promptTokens.map { TrainingSequence(prompt: $0, target: target, editID: request.id) }
        var prepared = sequences.map { frozen.prepare($0) }
        let (allocation, replay) = plan(request, promptQuery: { prepared[0].query })
        var allocations = [request.id: allocation]
        for (entry, row) in replay {
            let replayed = entry.sequence(row: row)
            sequences.append(replayed)
            prepared.append(frozen.prepare(replayed))
            allocations[entry.id] = entry.allocation
        }
        let stack = AdaptedStack(model: model, adaptedLayers: Set(c.layers))
        let turns = RewordingTurns(given: givenTokens.count, rewordings: reworded.count,
                                   replayed: prepared.count - promptTokens.count, perStep: c.rewordingsPerStep)

        var parameters = adapter.tensors
        adapter.tensors = [:]                 // hand the storage to the loop (no copy on write)
        var adam = Adam(learningRate: c.learningRate)
        var initialLoss: Float = .nan, lastLoss: Float = .nan
        var converged = false
        var convergedSteps = 0
        var steps = 0
        var touched = Set<String>()
        for step in 0...c.iterations {
            let active = turns.rows(atStep: step)
            let batch = active.map { prepared[$0] }, batchSequences = active.map { sequences[$0] }
            let queries = Tensor(shape: [batch.count, queryWidth], scalars: batch.flatMap(\.query))
            let tape = Tape()
            var variables: [String: Variable] = [:]
            func variable(_ name: String, trainable: Bool) -> Variable {
                if let v = variables[name] { return v }
                let t = parameters[name]!
                let v = trainable ? tape.parameter(t) : tape.constant(t)
                variables[name] = v
                return v
            }
            var guides: [Variable] = []
            let adapterOp: DownProjAdapter = { layer, v, frozenOut, layout in
                let l = c.layers.firstIndex(of: layer)!
                let usesRouter = c.trainingRouting == .soft || c.inferenceRouting == .routerTopK || c.guideWeight > 0
                var probabilities: Variable?
                if usesRouter {
                    probabilities = tape.routerProbabilities(
                        query: queries, weight: variable(AdapterState.routerWeight(layer: layer), trainable: true),
                        bias: variable(AdapterState.routerBias(layer: layer), trainable: true))
                }
                let allocated = batchSequences.map { allocations[$0.editID]!.experts[l] }
                if c.guideWeight > 0, let probabilities {
                    guides.append(tape.guidedLoss(probabilities, allocated: allocated, weight: c.guideWeight))
                }
                var routes: [SequenceRoute] = []
                for s in 0..<batchSequences.count {
                    switch (c.trainingRouting, c.inferenceRouting) {
                    case (.soft, _):
                        let row = Array(probabilities!.value.scalars[(s * c.experts)..<((s + 1) * c.experts)])
                        routes.append(SequenceRoute(experts: topK(row, k: c.topK).map(\.index), constantWeights: nil))
                    case (.hard, .routerTopK):
                        routes.append(SequenceRoute(experts: allocated[s], constantWeights: nil))
                    case (.hard, .matchedAllocation):
                        routes.append(SequenceRoute(experts: allocated[s], constantWeights: allocated[s].map { _ in 1 }))
                    }
                }
                // Without the LM gradient reaching the router, its weights come from a detached copy.
                let routerForMix = routes.contains { $0.constantWeights == nil } ? probabilities : nil
                var a: [Int: Variable] = [:], b: [Int: Variable] = [:]
                for j in Set(routes.flatMap(\.experts)) {
                    a[j] = variable(AdapterState.loraA(layer: layer, expert: j), trainable: c.trainA)
                    b[j] = variable(AdapterState.loraB(layer: layer, expert: j), trainable: true)
                }
                return tape.mixtureOfLoRA(v: v, frozen: frozenOut, a: a, b: b, layout: layout, routes: routes,
                                          probabilities: routerForMix, scaling: c.scaling)
            }
            let (ce, logits, targets) = stack.loss(tape: tape, batch: batch, adapter: adapterOp)
            lastLoss = ce.value.scalars[0]
            if step == 0 { initialLoss = lastLoss }
            converged = allArgmaxMatch(logits, targets)
            let confident = c.earlyStopLoss.map { lastLoss <= $0 } ?? true
            convergedSteps = converged && confident ? convergedSteps + 1 : 0
            if step == c.iterations || (c.earlyStop && convergedSteps >= turns.convergedStepsToStop) { break }
            var total = ce
            for g in guides { total = tape.add(total, g) }
            tape.backward(total)
            var gradients: [String: Tensor] = [:]
            for (name, v) in variables where v.requiresGrad { if let g = v.grad { gradients[name] = g } }
            adam.update(&parameters, gradients: gradients)
            touched.formUnion(gradients.keys)
            steps += 1
        }
        adapter.tensors = parameters

        // Remember the edit: allocation, deferral keys (centred queries) and codes of its training prompts.
        let ownQueries = Array(prepared.prefix(keyedRows)).map(\.query)
        let entry = EditMemory.Entry(
            id: request.id, allocation: allocation,
            keys: deferralKeys(ownQueries.map { normalizedQuery($0) }),
            codes: ownQueries.map { code(rawQuery: $0) },
            rows: promptTokens.map { $0 + target }, promptLengths: promptTokens.map(\.count))
        memory.entries.append(entry)
        return EditOutcome(editID: request.id, iterations: steps, initialLoss: initialLoss, finalLoss: lastLoss,
                           converged: converged, changedTensors: touched.sorted())
    }

    /// The keys the similarity deferral stores for an edit's centred prompt queries.
    /// The first query is the edited prompt's own.
    public func deferralKeys(_ centredQueries: [[Float]]) -> [[Float]] {
        guard configuration.keyStorage != .each, let first = centredQueries.first else { return centredQueries }
        var mean = [Float](repeating: 0, count: first.count)
        for q in centredQueries {
            let u = unitLength(q)
            for j in 0..<mean.count { mean[j] += u[j] }
        }
        let centroid = unitLength(mean)
        return configuration.keyStorage == .centroid ? [centroid] : [unitLength(first), centroid]
    }

    /// The allocation a new edit gets and the earlier edits' rows (entry, row index) replayed beside it.
    /// `promptQuery` gives the raw query of its edited prompt; it is read only by the choices that compare
    /// the new edit with the live ones.
    func plan(_ request: EditRequest, promptQuery: () -> [Float]) -> (allocation: Allocation, replay: [(entry: EditMemory.Entry, row: Int)]) {
        let c = configuration
        let needsSimilarity = c.allocationPolicy == .leastSimilar || c.replayChoice == .interfering
        let similarities = needsSimilarity ? liveSimilarities(to: normalizedQuery(promptQuery())) : nil
        let assigner = AllocationAssigner(configuration: c)
        let allocation = c.allocationKey == .label
            ? assigner.assign(key: request.label ?? request.target, live: [])
            : assigner.assign(key: request.id, live: memory.entries.map(\.allocation), similarities: similarities)
        return (allocation, replayRows(for: request.id, allocation: allocation, similarities: similarities))
    }

    /// The earlier edits' rows (entry, row index) that `edit(request)` would replay: for measuring a batch
    /// before the edit.
    public func plannedReplay(for request: EditRequest) -> [(entry: EditMemory.Entry, row: Int)] {
        plan(request, promptQuery: { rawQuery(tokens: loaded.tokenizer.encode(request.prompt)) }).replay
    }

    /// Each live edit's best cosine similarity (over its stored keys) to a centred query, in memory order.
    func liveSimilarities(to centredQuery: [Float]) -> [Float] {
        let index = indices.keys
        var best: [String: Float] = [:]
        for (owner, s) in zip(index.owners, index.similarities(centredQuery)) {
            guard let owner else { continue }
            best[owner] = max(best[owner] ?? -1, s)
        }
        return memory.entries.map { best[$0.id] ?? 0 }
    }

    /// Up to `replay` live edits to rehearse beside a new one, each with the index of the row to replay.
    /// `.random`: drawn deterministically from the edit id, their prompt row; `.randomWording`: the same
    /// edits, the row chosen from the pair of ids so an edit replayed again rehearses another wording.
    /// `.interfering`: the live edits sharing the most of the new allocation's LoRAs, weighted by similarity
    /// (`similarities`, in memory order), rows as `.randomWording`.
    func replayRows(for id: String, allocation: Allocation, similarities: [Float]?) -> [(entry: EditMemory.Entry, row: Int)] {
        let live = memory.entries
        guard configuration.replay > 0, !live.isEmpty else { return [] }
        if configuration.replayChoice == .interfering, let similarities {
            let mine = allocation.experts.map(Set.init)
            let scored: [(index: Int, score: Float)] = live.indices.compactMap { i in
                let shared = zip(live[i].allocation.experts, mine).reduce(0) { $0 + $1.0.filter($1.1.contains).count }
                return shared > 0 ? (i, Float(shared) * max(similarities[i], 0.01)) : nil
            }
            let picked = scored.sorted { $0.score != $1.score ? $0.score > $1.score : $0.index > $1.index }
                .prefix(configuration.replay).map(\.index).sorted()
            return picked.map { (live[$0], wording(of: live[$0], replayedFor: id)) }
        }
        var rng = SplitMix64(seed: stableHash(id, seed: configuration.seed ^ 0x5EED))
        var order = Array(live.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        let anyWording = configuration.replayChoice == .randomWording
        return Array(order.prefix(configuration.replay)).sorted().map { (live[$0], anyWording ? wording(of: live[$0], replayedFor: id) : 0) }
    }

    /// The row of `entry` to replay beside the new edit `id`: fixed by the pair, spread over its wordings.
    private func wording(of entry: EditMemory.Entry, replayedFor id: String) -> Int {
        Int(stableHash(id + "\u{0}" + entry.id, seed: configuration.seed) % UInt64(entry.rows.count))
    }
}

/// True when every row's argmax is its target token (ties go to the lower index).
func allArgmaxMatch(_ logits: Tensor, _ targets: [Int]) -> Bool {
    let v = logits.lastDimension
    for (r, t) in targets.enumerated() {
        var best = 0
        var bestValue = -Float.infinity
        for j in 0..<v where logits.scalars[r * v + j] > bestValue {
            bestValue = logits.scalars[r * v + j]
            best = j
        }
        if best != t { return false }
    }
    return true
}
