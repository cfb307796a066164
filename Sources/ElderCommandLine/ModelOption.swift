import ArgumentParser
import ElderModel

/// `--model NAME|PATH`, shared by the commands that run a base model.
public struct ModelOption: ParsableArguments {
    public init() {}

    @Option(name: .long, help: "A known model name (smollm2-135m, gemma3-270m), a .gguf file or a safetensors folder.")
    public var model: String = "smollm2-135m"

    /// Loads the model; a failure is the user's to fix (one line, e.g. how to fetch it; exit 128).
    public func load() throws -> LoadedModel {
        try Self.asUserError { try LoadedModel.load(model) }
    }

    /// Loads only the tokenizer (no weights): what `elder tokenize` needs.
    public func loadTokenizer() throws -> any Tokenizer {
        try Self.asUserError { try LoadedModel.loadTokenizer(path: ModelLocator.resolve(model)) }
    }

    /// Runs `body`; a failure to find or read the model is the user's to fix (exit 128, one line).
    public static func asUserError<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            throw CLIFailure.fatal("\(error)")
        }
    }
}
