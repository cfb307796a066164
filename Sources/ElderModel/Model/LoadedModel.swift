import ElderTensor
import Foundation
import Synchronization

/// A model ready to use: the transformer, its tokenizer and (for instruct models) its chat format,
/// loaded from a GGUF file or a Hugging Face safetensors folder.
public final class LoadedModel: @unchecked Sendable {
    public let path: String
    public let model: LlamaModel
    public let tokenizer: any Tokenizer
    public let chatTemplate: ChatTemplate?
    /// Token ids that end generation (EOS and, for chat models, the end-of-turn token).
    public let stopTokenIDs: Set<Int>

    public var configuration: LlamaConfiguration { model.configuration }

    public init(path: String, model: LlamaModel, tokenizer: any Tokenizer, chatTemplate: ChatTemplate?, stopTokenIDs: Set<Int>) {
        self.path = path
        self.model = model
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.stopTokenIDs = stopTokenIDs
    }

    /// What models this process loads from GGUF files do about float32 copies of their matrices: the lab keeps
    /// them after first use (speed), the `elder` command keeps only what training reads (`FloatWeights`).
    public static var floatWeights: FloatWeights {
        get { floatWeightsPolicy.withLock { $0 } }
        set { floatWeightsPolicy.withLock { $0 = newValue } }
    }
    private static let floatWeightsPolicy = Mutex<FloatWeights>(.keptAfterFirstUse)

    /// Loads `nameOrPath` as `ModelLocator` resolves it.
    public static func load(_ nameOrPath: String) throws -> LoadedModel {
        try load(path: ModelLocator.resolve(nameOrPath))
    }

    /// Loads a `.gguf` file or a folder holding `config.json`, safetensors weights and `tokenizer.json`.
    public static func load(path: String, floatWeights: FloatWeights = LoadedModel.floatWeights) throws -> LoadedModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelLocatorError.notFound(path)
        }
        return isDirectory.boolValue ? try loadHuggingFace(folder: path) : try loadGGUF(path: path, floatWeights: floatWeights)
    }

    /// Only the tokenizer of a `.gguf` file or a checkpoint folder (no weights are read).
    public static func loadTokenizer(path: String) throws -> any Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelLocatorError.notFound(path)
        }
        if !isDirectory.boolValue { return try tokenizer(gguf: GGUFFile(path: path)) }
        let config = FileManager.default.contents(atPath: path + "/config.json")
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        return try BPETokenizer(tokenizerJSON: path + "/tokenizer.json",
                                bosTokenID: (config?["bos_token_id"] as? NSNumber)?.intValue,
                                eosTokenID: (config?["eos_token_id"] as? NSNumber)?.intValue)
    }

    /// The tokenizer stored in a GGUF file's `tokenizer.ggml.*` metadata: `gpt2` (byte-level BPE) or
    /// `llama` (SentencePiece).
    public static func tokenizer(gguf: GGUFFile) throws -> any Tokenizer {
        let model = try gguf.string("tokenizer.ggml.model")
        switch model {
        case "gpt2": return try BPETokenizer(gguf: gguf)
        case "llama": return try SentencePieceTokenizer(gguf: gguf)
        default: throw TokenizerError.invalid("\(gguf.path): tokenizer model '\(model)' is not supported (gpt2, llama)")
        }
    }

    static func loadGGUF(path: String, floatWeights: FloatWeights) throws -> LoadedModel {
        let gguf = try GGUFFile(path: path)
        let configuration = try LlamaConfiguration(gguf: gguf)
        let tokenizer = try tokenizer(gguf: gguf)
        guard tokenizer.vocabularySize <= configuration.vocabularySize else {
            throw CheckpointError.invalid(path: path, reason: "tokenizer has \(tokenizer.vocabularySize) tokens, model \(configuration.vocabularySize)")
        }
        let model = try LlamaModel(configuration: configuration, source: gguf, names: .gguf, floatWeights: floatWeights)
        let template = gguf.metadata["tokenizer.chat_template"]?.string.flatMap { ChatTemplate(jinja: $0, tokenizer: tokenizer) }
        return LoadedModel(path: path, model: model, tokenizer: tokenizer, chatTemplate: template,
                           stopTokenIDs: Set([tokenizer.eosTokenID].compactMap { $0 } + (template?.endOfTurnTokenID.map { [$0] } ?? [])))
    }

    static func loadHuggingFace(folder: String) throws -> LoadedModel {
        let configPath = folder + "/config.json"
        guard let configData = FileManager.default.contents(atPath: configPath) else {
            throw CheckpointError.cannotOpen(path: configPath, reason: "missing")
        }
        let configuration = try LlamaConfiguration(huggingFaceConfig: configData, source: configPath)
        let ids = try? JSONSerialization.jsonObject(with: configData) as? [String: Any]
        func tokenID(_ key: String) -> Int? {
            if let n = ids?[key] as? NSNumber { return n.intValue }
            return (ids?[key] as? [NSNumber])?.first?.intValue
        }
        let tokenizer = try BPETokenizer(tokenizerJSON: folder + "/tokenizer.json",
                                         bosTokenID: tokenID("bos_token_id"), eosTokenID: tokenID("eos_token_id"))
        let model = try LlamaModel(configuration: configuration, source: SafetensorsCheckpoint(folder: folder), names: .huggingFace)
        var template: ChatTemplate?
        if let data = FileManager.default.contents(atPath: folder + "/tokenizer_config.json"),
           let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let jinja = root["chat_template"] as? String {
            template = ChatTemplate(jinja: jinja, tokenizer: tokenizer)
        }
        return LoadedModel(path: folder, model: model, tokenizer: tokenizer, chatTemplate: template,
                           stopTokenIDs: Set([tokenizer.eosTokenID].compactMap { $0 } + (template?.endOfTurnTokenID.map { [$0] } ?? [])))
    }
}
