import ElderModel
import ElderStable
import ElderTensor

/// The ELDER module — a mixture of LoRAs on several `down_proj` projections, routers, allocations and a
/// deferral memory — trained one edit at a time. Runs both the paper's recipe (`elder-paper`) and
/// Elder's default method; every difference between them is a field of `EditorConfiguration`.
public final class MixtureEditor: Editor {
    public let configuration: EditorConfiguration
    public var adapter: AdapterState
    public var memory: EditMemory {
        didSet { indexCache = nil; siblingsCache = nil }
    }
    let loaded: LoadedModel
    private var indexCache: (keys: KeyIndex, codes: Codebook)?
    private var siblingsCache: SharedNameSiblings?
    /// The background prompts' tokens: they depend on the tokenizer alone, so they outlive memory changes.
    private var backgroundTokenCache: Set<Int>?

    var model: LlamaModel { loaded.model }
    var frozen: FrozenPass { FrozenPass(model: model, configuration: configuration) }
    var queryWidth: Int {
        configuration.query.source == .residual ? model.configuration.hiddenSize : model.configuration.intermediateSize
    }

    /// An editor over an existing state (rebuilt from a knowledge repo).
    public init(model: LoadedModel, configuration: EditorConfiguration, adapter: AdapterState, memory: EditMemory) throws {
        try configuration.validate(blockCount: model.configuration.layerCount)
        self.loaded = model
        self.configuration = configuration
        self.adapter = adapter
        self.memory = memory
        // A memory saved without its whitening (an older store format) gets it back: the fit is deterministic.
        if configuration.query.whitening != nil, memory.projection.isEmpty, !memory.centre.isEmpty {
            self.memory.projection = whitening(memory: memory) ?? []
        }
    }

    /// A fresh editor: LoRAs with A ~ U(−1/√r, 1/√r) and B = 0 (so nothing changes yet), routers initialized
    /// like a linear layer, and the query centre and reference keys computed from `referencePrompts`.
    public convenience init(model: LoadedModel, configuration: EditorConfiguration, referencePrompts: [String]) throws {
        try configuration.validate(blockCount: model.configuration.layerCount)
        let c = configuration, mc = model.configuration
        var rng = SplitMix64(seed: c.seed ^ 0xE1DE_2025)
        var tensors: [String: Tensor] = [:]
        let q = c.query.source == .residual ? mc.hiddenSize : mc.intermediateSize
        for layer in c.layers {
            for j in 0..<c.experts {
                let bound = 1 / Float(c.rank).squareRoot()
                tensors[AdapterState.loraA(layer: layer, expert: j)] = Tensor(
                    shape: [c.rank, mc.intermediateSize],
                    scalars: (0..<(c.rank * mc.intermediateSize)).map { _ in (rng.nextUnitFloat() * 2 - 1) * bound })
                tensors[AdapterState.loraB(layer: layer, expert: j)] = Tensor(zeros: [mc.hiddenSize, c.rank])
            }
            let bound = 1 / Float(q).squareRoot()
            tensors[AdapterState.routerWeight(layer: layer)] = Tensor(
                shape: [c.experts, q], scalars: (0..<(c.experts * q)).map { _ in (rng.nextUnitFloat() * 2 - 1) * bound })
            tensors[AdapterState.routerBias(layer: layer)] = Tensor(
                shape: [c.experts], scalars: (0..<c.experts).map { _ in (rng.nextUnitFloat() * 2 - 1) * bound })
        }
        try self.init(model: model, configuration: configuration, adapter: AdapterState(tensors: tensors), memory: EditMemory())
        setReference(prompts: referencePrompts)
    }

    /// Computes the query centre and the reference keys from prompts that belong to no edit.
    public func setReference(prompts: [String]) {
        let raw = prompts.map { rawQuery(tokens: loaded.tokenizer.encode($0)) }
        var m = EditMemory()
        m.entries = memory.entries
        if configuration.query.centred, !raw.isEmpty {
            var centre = [Double](repeating: 0, count: queryWidth)
            for q in raw { for j in 0..<queryWidth { centre[j] += Double(q[j]) } }
            m.centre = centre.map { Float($0 / Double(raw.count)) }
            if configuration.query.standardized {
                var variance = [Double](repeating: 0, count: queryWidth)
                for q in raw { for j in 0..<queryWidth { let d = Double(q[j] - m.centre[j]); variance[j] += d * d } }
                let mean = variance.reduce(0, +) / Double(queryWidth)
                // 1/std per dimension, with the average variance added so rare dimensions are not blown up.
                m.scale = variance.map { Float(1 / (($0 + mean) / Double(raw.count)).squareRoot()) }
            }
        }
        m.projection = whitening(memory: m) ?? []
        m.backgroundKeys = raw.map { normalizedQuery($0, memory: m) }
        memory = m
    }

    /// The query whitening fitted on `CalibrationPrompts` (centred and scaled as `m` says), if configured.
    func whitening(memory m: EditMemory) -> [Float]? {
        guard let gamma = configuration.query.whitening, !m.centre.isEmpty else { return nil }
        let key = WhiteningCache.Key(query: configuration.query, modelPath: loaded.path,
                                     centreBits: m.centre.map(\.bitPattern), scaleBits: m.scale.map(\.bitPattern))
        return WhiteningCache.shared.projection(for: key) {
            var plain = m
            plain.projection = []
            let groups = CalibrationPrompts.groups.map { group in
                group.map { normalizedQuery(rawQuery(tokens: loaded.tokenizer.encode($0)), memory: plain) }
            }
            return QueryWhitening.fit(groups: groups, strength: gamma)
        }
    }

    // MARK: queries

    /// The raw query vector of a prompt (runs the frozen blocks up to the query layer).
    public func rawQuery(tokens: [Int]) -> [Float] {
        frozen.query(tokens)
    }

    /// The query as the deferral compares it: centred on the reference prompts' mean and, if configured,
    /// scaled per dimension by their spread.
    public func normalizedQuery(_ q: [Float], memory m: EditMemory? = nil) -> [Float] {
        let m = m ?? memory
        guard configuration.query.centred, m.centre.count == q.count else { return q }
        var out = zip(q, m.centre).map { $0 - $1 }
        if m.scale.count == q.count { for j in 0..<out.count { out[j] *= m.scale[j] } }
        if m.projection.count == q.count * q.count { out = QueryWhitening.apply(m.projection, to: out) }
        return out
    }

    var indices: (keys: KeyIndex, codes: Codebook) {
        if let indexCache { return indexCache }
        var keys = KeyIndex(dimension: queryWidth)
        var codes = Codebook(bitCount: configuration.codeBits)
        if !memory.backgroundKeys.isEmpty { keys.insert(QuantizedKeys(memory.backgroundKeys, width: queryWidth), owner: nil) }
        for e in memory.entries {
            keys.insert(e.storedKeys, owner: e.id)  // shares the entry's array: the keys are held once
            for c in e.codes { codes.insert(c, owner: e.id) }
        }
        indexCache = (keys, codes)
        return (keys, codes)
    }

    /// The live edits' siblings (edits about the same subject), for the sibling margin.
    public var siblings: SharedNameSiblings {
        if let siblingsCache { return siblingsCache }
        let made = SharedNameSiblings(prompts: memory.entries.map { e in (e.id, Array((e.rows.first ?? []).prefix(e.promptLengths.first ?? 0))) },
                                      background: backgroundTokens)
        siblingsCache = made
        return made
    }

    /// Every token of the reference and calibration prompts (tokenized once per editor, not once per edit).
    var backgroundTokens: Set<Int> {
        if let backgroundTokenCache { return backgroundTokenCache }
        let made = Set((ReferencePrompts.default + CalibrationPrompts.groups.flatMap { $0 }).flatMap { loaded.tokenizer.encode($0) })
        backgroundTokenCache = made
        return made
    }

    // MARK: routing

    /// Router probabilities of one raw query at adapted layer index `l` (0..<L).
    func routerProbabilities(rawQuery q: [Float], layerIndex l: Int) -> [Float] {
        let layer = configuration.layers[l]
        let p = Router.probabilities(query: Tensor(shape: [1, q.count], scalars: q),
                                     weight: adapter[AdapterState.routerWeight(layer: layer)]!,
                                     bias: adapter[AdapterState.routerBias(layer: layer)]!)
        return p.scalars
    }

    /// The allocation code of a raw query: bit (l, j) for j in layer l's router top-k.
    func code(rawQuery q: [Float]) -> AllocationCode {
        var code = AllocationCode(bitCount: configuration.codeBits)
        for l in 0..<configuration.layers.count {
            for (j, _) in topK(routerProbabilities(rawQuery: q, layerIndex: l), k: configuration.topK) {
                code.set(l * configuration.experts + j)
            }
        }
        return code
    }

    public func route(query q: [Float]) -> RoutingExplanation {
        let c = configuration
        var r = RoutingExplanation(fired: false, layers: [])
        switch c.deferral {
        case .hamming(let epsilon):
            r.epsilon = epsilon
            if let nearest = indices.codes.nearest(to: code(rawQuery: q)) {
                r.hammingDistance = nearest.distance
                r.matchedEdit = nearest.owner
                r.fired = nearest.distance < epsilon
            }
        case .similarityMargin(let margin, let referenceMargin, let minimum):
            var siblingsOf: ((String) -> Set<String>)? = nil
            if c.siblingMargin == true {
                let table = siblings
                siblingsOf = { table.siblings(of: $0) }
            }
            let m = indices.keys.match(normalizedQuery(q), siblings: siblingsOf)
            r.requiredMargin = margin
            r.requiredReferenceMargin = referenceMargin
            r.minimumSimilarity = minimum
            r.exactMatchSimilarity = c.exactMatch
            if let owner = m.owner {
                r.matchedEdit = owner
                if let siblingsOf { r.siblingEdits = siblingsOf(owner).sorted() }
                r.similarity = m.similarity
                r.margin = m.margin
                r.otherEditSimilarity = m.secondEdit > -1 ? m.secondEdit : nil
                r.referenceSimilarity = m.background > -1 ? m.background : nil
                r.fired = m.fires(margin: margin, referenceMargin: referenceMargin, minimum: minimum, exact: c.exactMatch)
            }
        }
        guard r.fired else { return r }
        switch c.inferenceRouting {
        case .routerTopK:
            for (l, layer) in c.layers.enumerated() {
                let probs = routerProbabilities(rawQuery: q, layerIndex: l)
                let mix = Router.topKMixture(probabilities: Tensor(shape: [1, probs.count], scalars: probs),
                                             k: c.topK, renormalize: c.renormalizeTopK)[0]
                r.layers.append(.init(layer: layer, experts: mix.experts, weights: mix.weights))
            }
        case .matchedAllocation:
            guard let entry = r.matchedEdit.flatMap(memory.entry) else { r.fired = false; return r }
            for (l, layer) in c.layers.enumerated() {
                let experts = entry.allocation.experts[l]
                r.layers.append(.init(layer: layer, experts: experts, weights: experts.map { _ in 1 }))
            }
        }
        return r
    }

    public func routing(toEdit editID: String) -> RoutingExplanation? {
        guard let entry = memory.entry(editID) else { return nil }
        var r = RoutingExplanation(fired: true, matchedEdit: editID, layers: [])
        for (l, layer) in configuration.layers.enumerated() {
            let experts = entry.allocation.experts[l]
            r.layers.append(.init(layer: layer, experts: experts, weights: experts.map { _ in 1 }))
        }
        return r
    }

    public func adapt(layer: Int, v: Tensor, frozen: Tensor, routing: RoutingExplanation, fromRow: Int) -> Tensor {
        guard routing.fired, let choice = routing.layers.first(where: { $0.layer == layer }) else { return frozen }
        let t = v.rowCount
        guard fromRow < t else { return frozen }
        var a: [Int: Tensor] = [:], b: [Int: Tensor] = [:]
        for j in choice.experts {
            a[j] = adapter[AdapterState.loraA(layer: layer, expert: j)]
            b[j] = adapter[AdapterState.loraB(layer: layer, expert: j)]
        }
        let mix = MixtureRows(rowCount: t, spans: [(fromRow..<t, choice.experts, choice.weights)], scaling: configuration.scaling)
        var out = frozen
        MixtureOfLoRA.forward(into: &out, v: v, a: a, b: b, mix: mix)
        return out
    }

    public func forget(editID: String) {
        memory.entries.removeAll { $0.id == editID }
    }
}
