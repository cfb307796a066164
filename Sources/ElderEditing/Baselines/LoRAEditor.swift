import ElderModel
import ElderStable
import ElderTensor

/// One LoRA per adapted layer (A [r, F] as `lora.<layer>.A`, B [D, r] as `lora.<layer>.B`) on the ELDER
/// layers' `down_proj`: the mixture of LoRAs with one expert, no router and no deferral. Every edit trains
/// the same LoRAs (so later edits overwrite earlier ones), and they act on every token of every input.
public final class LoRAEditor: AlwaysActingEditor {
    public let configuration: EditorConfiguration
    public var adapter: AdapterState
    public var memory: EditMemory
    public internal(set) var lastProfile: EditProfile?
    let loaded: LoadedModel

    public static func aName(layer: Int) -> String { "lora.\(layer).A" }
    public static func bName(layer: Int) -> String { "lora.\(layer).B" }

    /// An editor over an existing state, or a fresh one when `adapter` is nil: A ~ U(−1/√r, 1/√r) from the
    /// configuration's seed and B = 0, so a fresh LoRA changes nothing.
    public init(model: LoadedModel, configuration: EditorConfiguration, adapter: AdapterState? = nil,
                memory: EditMemory = EditMemory()) throws {
        try configuration.validate(blockCount: model.configuration.layerCount)
        self.loaded = model
        self.configuration = configuration
        self.memory = memory
        if let adapter {
            self.adapter = adapter
        } else {
            let mc = model.configuration, r = configuration.rank
            var rng = SplitMix64(seed: configuration.seed ^ 0x10_2A)
            let bound = 1 / Float(r).squareRoot()
            var tensors: [String: Tensor] = [:]
            for layer in configuration.layers {
                tensors[Self.aName(layer: layer)] = Tensor(
                    shape: [r, mc.intermediateSize],
                    scalars: (0..<(r * mc.intermediateSize)).map { _ in (rng.nextUnitFloat() * 2 - 1) * bound })
                tensors[Self.bName(layer: layer)] = Tensor(zeros: [mc.hiddenSize, r])
            }
            self.adapter = AdapterState(tensors: tensors)
        }
    }

    public func edit(_ request: EditRequest) throws -> EditOutcome {
        let c = configuration
        var trainable = Set(c.layers.map { Self.bName(layer: $0) })
        if c.trainA { trainable.formUnion(c.layers.map { Self.aName(layer: $0) }) }
        return try train(request, trainable: trainable) { tape, variable in
            { layer, v, frozen, _ in
                let low = tape.matmul(v, variable(Self.aName(layer: layer)), transposeB: true)          // [R, r]
                let up = tape.matmul(low, variable(Self.bName(layer: layer)), transposeB: true)         // [R, D]
                return tape.add(frozen, c.scaling == 1 ? up : tape.scale(up, by: c.scaling))
            }
        }
    }

    public func forget(editID: String) {
        memory.entries.removeAll { $0.id == editID }
    }

    /// The LoRA always acts.
    public func route(query: [Float]) -> RoutingExplanation { alwaysFired(layers: configuration.layers) }

    /// frozen + scaling · (v Aᵀ) Bᵀ on rows `fromRow...`.
    public func adapt(layer: Int, v: Tensor, frozen: Tensor, routing: RoutingExplanation, fromRow: Int) -> Tensor {
        guard routing.fired, let a = adapter[Self.aName(layer: layer)], let b = adapter[Self.bName(layer: layer)] else {
            return frozen
        }
        var up = matmul(matmul(v, a, transposeB: true), b, transposeB: true)
        if configuration.scaling != 1 { up = scale(up, by: configuration.scaling) }
        return addRows(frozen, up, fromRow: fromRow)
    }
}
