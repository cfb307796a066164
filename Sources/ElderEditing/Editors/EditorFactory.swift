import ElderModel

/// The editor that runs `configuration.method`: the ELDER mixture of LoRAs (`elder`, `elder-paper`) or a
/// baseline (`ft-l`, `lora`, `grace`), fresh. `referencePrompts` fix the mixture editor's query centre and
/// background keys; the baselines do not use them.
public func makeEditor(model: LoadedModel, configuration: EditorConfiguration,
                       referencePrompts: [String] = ReferencePrompts.default) throws -> any Editor {
    switch configuration.method {
    case .elder, .elderPaper:
        return try MixtureEditor(model: model, configuration: configuration, referencePrompts: referencePrompts)
    case .fineTuneLayer:
        return try FineTuneEditor(model: model, configuration: configuration)
    case .singleLoRA:
        return try LoRAEditor(model: model, configuration: configuration)
    case .grace:
        return try GraceEditor(model: model, configuration: configuration)
    }
}

/// The editor that runs `configuration.method` over a saved state (a knowledge repo's rebuilt tensors and memory).
public func makeEditor(model: LoadedModel, configuration: EditorConfiguration, adapter: AdapterState,
                       memory: EditMemory) throws -> any Editor {
    switch configuration.method {
    case .elder, .elderPaper:
        return try MixtureEditor(model: model, configuration: configuration, adapter: adapter, memory: memory)
    case .fineTuneLayer:
        return try FineTuneEditor(model: model, configuration: configuration, adapter: adapter, memory: memory)
    case .singleLoRA:
        return try LoRAEditor(model: model, configuration: configuration, adapter: adapter, memory: memory)
    case .grace:
        return try GraceEditor(model: model, configuration: configuration, adapter: adapter, memory: memory)
    }
}
