import ElderTensor

/// ElderModel: GGUF and safetensors loading, the LLaMA-family transformer, the BPE tokenizer, generation.
public enum ElderModelInfo {
    public static let moduleName = "ElderModel"
}
