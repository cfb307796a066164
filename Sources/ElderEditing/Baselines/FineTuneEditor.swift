import ElderModel
import ElderTensor

/// FT-L: plain fine-tuning of one layer, the simplest baseline of the model-editing literature (ROME's and
/// EasyEdit's "FT-L"). A dense ΔW [D, F] (`ftl.<layer>.down`) is added to one block's `down_proj`, trained
/// with Adam on the target tokens of the mixture editor's batch, and applied to every token of every
/// input: there is no deferral, so nothing protects unrelated inputs.
public final class FineTuneEditor: AlwaysActingEditor {
    public let configuration: EditorConfiguration
    public var adapter: AdapterState
    public var memory: EditMemory
    public internal(set) var lastProfile: EditProfile?
    let loaded: LoadedModel

    public var layer: Int { configuration.layers[0] }

    /// The tensor name of the ΔW on block `layer`'s `down_proj`.
    public static func deltaName(layer: Int) -> String { "ftl.\(layer).down" }

    /// An editor over an existing state, or a fresh one (ΔW = 0) when `adapter` is nil.
    public init(model: LoadedModel, configuration: EditorConfiguration, adapter: AdapterState? = nil,
                memory: EditMemory = EditMemory()) throws {
        try configuration.validate(blockCount: model.configuration.layerCount)
        guard configuration.layers.count == 1 else {
            throw ConfigurationError(description: "FT-L fine-tunes one layer; got layers \(configuration.layers)")
        }
        self.loaded = model
        self.configuration = configuration
        let mc = model.configuration
        self.adapter = adapter ?? AdapterState(tensors: [
            Self.deltaName(layer: configuration.layers[0]): Tensor(zeros: [mc.hiddenSize, mc.intermediateSize])])
        self.memory = memory
    }

    public func edit(_ request: EditRequest) throws -> EditOutcome {
        let name = Self.deltaName(layer: layer)
        return try train(request, trainable: [name]) { tape, variable in
            { _, v, frozen, _ in tape.add(frozen, tape.matmul(v, variable(name), transposeB: true)) }
        }
    }

    public func forget(editID: String) {
        memory.entries.removeAll { $0.id == editID }
    }

    /// FT-L always acts.
    public func route(query: [Float]) -> RoutingExplanation { alwaysFired(layers: configuration.layers) }

    /// frozen + v ΔWᵀ on rows `fromRow...`.
    public func adapt(layer: Int, v: Tensor, frozen: Tensor, routing: RoutingExplanation, fromRow: Int) -> Tensor {
        guard routing.fired, layer == self.layer, let delta = adapter[Self.deltaName(layer: layer)] else { return frozen }
        return addRows(frozen, matmul(v, delta, transposeB: true), fromRow: fromRow)
    }
}
