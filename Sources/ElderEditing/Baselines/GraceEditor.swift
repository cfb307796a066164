import ElderModel
import ElderStable
import ElderTensor

/// An editor whose deferral reads the input of its own adapted layer rather than a query below the
/// adapter (GRACE's key is the edited layer's input). `EditedModel` asks it at that layer, on the prompt's
/// last token, and keeps the decision for the tokens generated after the prompt.
public protocol LayerKeyedEditor: Editor {
    /// The block whose `down_proj` input is the key.
    var keyLayer: Int { get }
    /// The routing decision for a key (the `down_proj` input of `keyLayer` at the prompt's last token).
    func route(key: [Float]) -> RoutingExplanation
}

/// GRACE (Hartvigsen et al. 2023) at one block's `down_proj`: a codebook of keys (the SwiGLU activation at
/// an edited prompt's last token), values (a replacement for the layer's output, trained by gradient so the
/// target follows) and deferral radii, stored as `grace.<layer>.keys` [K, F], `.values` [K, D] and
/// `.radii` [K]. An input whose key lies within the nearest key's radius gets that key's value as the
/// layer's output from its last prompt token on (and on every token generated after it); any other input
/// runs the base model bit for bit. The codebook grows with the edits, as in the paper.
public final class GraceEditor: LayerKeyedEditor, ProfiledEditor {
    public let configuration: EditorConfiguration
    public var adapter: AdapterState
    /// Invariant: the codebook's rows are the concatenation of the entries' `keys`, in entry order.
    public var memory: EditMemory
    public private(set) var lastProfile: EditProfile?
    let loaded: LoadedModel
    let options: GraceOptions

    public var keyLayer: Int { configuration.layers[0] }

    public static func keysName(layer: Int) -> String { "grace.\(layer).keys" }
    public static func valuesName(layer: Int) -> String { "grace.\(layer).values" }
    public static func radiiName(layer: Int) -> String { "grace.\(layer).radii" }

    /// An editor over an existing state, or an empty codebook (no tensors yet) when `adapter` is nil.
    public init(model: LoadedModel, configuration: EditorConfiguration, adapter: AdapterState? = nil,
                memory: EditMemory = EditMemory()) throws {
        try configuration.validate(blockCount: model.configuration.layerCount)
        guard configuration.layers.count == 1 else {
            throw ConfigurationError(description: "GRACE edits one layer; got layers \(configuration.layers)")
        }
        guard let options = configuration.grace, options.initialRadius >= 0 else {
            throw ConfigurationError(description: "GRACE needs grace.initialRadius ≥ 0 (use EditorConfiguration.grace(blockCount:))")
        }
        self.loaded = model
        self.configuration = configuration
        self.options = options
        self.adapter = adapter ?? AdapterState()
        self.memory = memory
    }

    // MARK: the codebook as tensors

    /// The codebook held in `adapter`, with each key's label taken from the entry that owns it.
    public var codebook: GraceCodebook {
        var book = GraceCodebook()
        let l = keyLayer
        guard let k = adapter[Self.keysName(layer: l)], let v = adapter[Self.valuesName(layer: l)],
              let r = adapter[Self.radiiName(layer: l)] else { return book }
        for i in 0..<k.rowCount {
            book.keys.append(k.row(i))
            book.values.append(v.row(i))
            book.radii.append(r.scalars[i])
        }
        for e in memory.entries {
            let label = Array(e.rows.first?.dropFirst(e.promptLengths.first ?? 0) ?? [])
            book.labels += Array(repeating: label, count: e.keys.count)
        }
        book.labels += Array(repeating: [], count: max(0, book.count - book.labels.count))
        return book
    }

    func store(_ book: GraceCodebook) {
        let l = keyLayer
        guard book.count > 0 else {
            for name in [Self.keysName(layer: l), Self.valuesName(layer: l), Self.radiiName(layer: l)] { adapter[name] = nil }
            return
        }
        let mc = loaded.configuration
        adapter[Self.keysName(layer: l)] = Tensor(shape: [book.count, mc.intermediateSize], scalars: book.keys.flatMap { $0 })
        adapter[Self.valuesName(layer: l)] = Tensor(shape: [book.count, mc.hiddenSize], scalars: book.values.flatMap { $0 })
        adapter[Self.radiiName(layer: l)] = Tensor(shape: [book.count], scalars: book.radii)
    }

    /// The key of a prompt: the `down_proj` input of `keyLayer` at its last token (the frozen model).
    public func key(tokens: [Int]) -> [Float] {
        guard !tokens.isEmpty else { return [] }
        var captured: Tensor?
        _ = loaded.model.run(loaded.model.embed(tokens), layers: 0..<(keyLayer + 1), positions: Array(0..<tokens.count),
                             hooks: [keyLayer: BlockHooks(observeDownInput: { captured = $0 })])
        return captured!.row(tokens.count - 1)
    }

    // MARK: editing

    public func edit(_ request: EditRequest) throws -> EditOutcome {
        guard memory.entry(request.id) == nil else { throw EditError.duplicateEdit(id: request.id) }
        let (prompts, target) = try validatedBatch(request, tokenizer: loaded.tokenizer,
                                                   paraphrases: configuration.trainingParaphrases,
                                                   contextLength: loaded.configuration.contextLength)
        let t0 = cpuSeconds()
        var book = codebook
        let before = book.count
        var chosen: [Int] = []
        var rng = SplitMix64(seed: configuration.seed ^ stableHash(request.id, seed: 0x6_7ACE))
        for p in prompts {
            let key = key(tokens: p)
            let value = options.warmValues
                ? loaded.model.blocks[keyLayer].mlp.project(Tensor(shape: [1, key.count], scalars: key)).scalars
                : (0..<loaded.configuration.hiddenSize).map { _ in rng.nextUnitFloat() }
            chosen.append(book.insert(key: key, label: target, value: value, initialRadius: options.initialRadius).chosen)
        }
        let keySeconds = cpuSeconds() - t0

        // Train the chosen keys' values: each is one trainable row that replaces the layer's output.
        func valueName(_ i: Int) -> String { "grace.value.\(i)" }
        var parameters: [String: Tensor] = [:]
        for i in Set(chosen) { parameters[valueName(i)] = Tensor(shape: [1, book.values[i].count], scalars: book.values[i]) }
        let trainer = BaselineTrainer(model: loaded.model, configuration: configuration)
        let result = trainer.train(sequences: prompts.map { TrainingSequence(prompt: $0, target: target, editID: request.id) },
                                   parameters: &parameters, trainable: Set(parameters.keys)) { tape, variable in
            { _, _, frozen, layout in
                tape.replaceRows(frozen, ranges: layout.ranges, values: chosen.map { variable(valueName($0)) })
            }
        }
        let t1 = cpuSeconds()
        for i in Set(chosen) { book.values[i] = parameters[valueName(i)]!.scalars }
        store(book)
        let added = Array(book.keys[before...])
        memory.entries.append(plainEntry(id: request.id, prompts: prompts, target: target, keys: added))
        lastProfile = EditProfile(frozenPassSeconds: result.frozenSeconds + keySeconds, stepsSeconds: result.stepsSeconds,
                                  memorySeconds: cpuSeconds() - t1)
        let changed = [Self.keysName(layer: keyLayer), Self.radiiName(layer: keyLayer), Self.valuesName(layer: keyLayer)]
        return EditOutcome(editID: request.id, iterations: result.iterations, initialLoss: result.initialLoss,
                           finalLoss: result.finalLoss, converged: result.converged, changedTensors: changed.sorted())
    }

    /// Removes the edit's keys (with their values and radii) and its entry; radii it split or widened on
    /// other keys stay as they are, as GRACE's delete leaves them.
    public func forget(editID: String) {
        guard let index = memory.entries.firstIndex(where: { $0.id == editID }) else { return }
        let start = memory.entries[..<index].reduce(0) { $0 + $1.keys.count }
        let owned = Set(start..<(start + memory.entries[index].keys.count))
        var book = codebook
        if book.count >= start + owned.count { book.remove(owned) }
        memory.entries.remove(at: index)
        store(book)
    }

    // MARK: routing

    /// GRACE decides at its own layer (`route(key:)`); the query below the adapter says nothing.
    public func route(query: [Float]) -> RoutingExplanation {
        RoutingExplanation(fired: false, layers: [])
    }

    /// Fires iff the key is within the nearest stored key's radius. The explanation carries the edit owning
    /// that key, `margin` = radius − distance (fires iff ≥ `requiredMargin` = 0) and the key's index as the
    /// layer's single "expert".
    public func route(key: [Float]) -> RoutingExplanation {
        var r = RoutingExplanation(fired: false, layers: [])
        let book = codebook
        guard let n = book.nearest(to: key) else { return r }
        var owner: String?
        var end = 0
        for e in memory.entries {
            end += e.keys.count
            if n.index < end { owner = e.id; break }
        }
        r.matchedEdit = owner
        r.margin = book.radii[n.index] - n.distance
        r.requiredMargin = 0
        r.fired = n.distance <= book.radii[n.index]
        if r.fired { r.layers = [.init(layer: keyLayer, experts: [n.index], weights: [1])] }
        return r
    }

    /// Rows `fromRow...` of the layer's output become the matched key's value.
    public func adapt(layer: Int, v: Tensor, frozen: Tensor, routing: RoutingExplanation, fromRow: Int) -> Tensor {
        guard routing.fired, layer == keyLayer, let i = routing.layers.first?.experts.first,
              let values = adapter[Self.valuesName(layer: layer)], i < values.rowCount else { return frozen }
        var out = frozen
        let d = frozen.lastDimension
        let value = values.row(i)
        for r in max(0, fromRow)..<frozen.rowCount {
            for j in 0..<d { out.scalars[r * d + j] = value[j] }
        }
        return out
    }
}

extension Tape {
    /// x [R, D] with the rows of `ranges[s]` replaced by `values[s]` [1, D]; the gradient of each value is the
    /// sum of its rows' output gradients, and x keeps the gradient of the rows not replaced.
    func replaceRows(_ x: Variable, ranges: [Range<Int>], values: [Variable]) -> Variable {
        var out = x.value
        let d = out.lastDimension
        for (range, v) in zip(ranges, values) {
            for r in range { for j in 0..<d { out.scalars[r * d + j] = v.value.scalars[j] } }
        }
        return custom(out, inputs: [x] + values) { dy in
            for (range, v) in zip(ranges, values) where v.requiresGrad {
                var g = Tensor(zeros: [1, d])
                for r in range { for j in 0..<d { g.scalars[j] += dy.scalars[r * d + j] } }
                v.accumulateGradient(g)
            }
            if x.requiresGrad {
                var dx = dy
                for range in ranges { for r in range { for j in 0..<d { dx.scalars[r * d + j] = 0 } } }
                x.accumulateGradient(dx)
            }
        }
    }
}
