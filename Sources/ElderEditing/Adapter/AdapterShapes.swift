import ElderModel

extension EditorConfiguration {
    /// Every tensor the editor of this configuration holds over a model of `model`'s shape, with its shape
    /// (what `makeEditor` creates; a test holds the two together). A knowledge repo's versions can hold no
    /// other tensor, so the workspace gives this to the store, which refuses anything else from a pack's
    /// header before decoding it. Nil for GRACE, whose codebook grows with its edits.
    public func adapterShapes(model m: LlamaConfiguration) -> [String: [Int]]? {
        var shapes: [String: [Int]] = [:]
        switch method {
        case .elder, .elderPaper:
            let q = query.source == .residual ? m.hiddenSize : m.intermediateSize
            for layer in layers {
                for j in 0..<experts {
                    shapes[AdapterState.loraA(layer: layer, expert: j)] = [rank, m.intermediateSize]
                    shapes[AdapterState.loraB(layer: layer, expert: j)] = [m.hiddenSize, rank]
                }
                shapes[AdapterState.routerWeight(layer: layer)] = [experts, q]
                shapes[AdapterState.routerBias(layer: layer)] = [experts]
            }
        case .singleLoRA:
            for layer in layers {
                shapes[LoRAEditor.aName(layer: layer)] = [rank, m.intermediateSize]
                shapes[LoRAEditor.bName(layer: layer)] = [m.hiddenSize, rank]
            }
        case .fineTuneLayer:
            guard let layer = layers.first else { return nil }
            shapes[FineTuneEditor.deltaName(layer: layer)] = [m.hiddenSize, m.intermediateSize]
        case .grace:
            return nil
        }
        return shapes
    }
}
