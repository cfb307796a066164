/// A prompt and the tokens asked for after it must fit the model's context (positions past it were never
/// trained, and the KV cache grows with them): checked up front, once the prompt is tokenized (the tokenizer
/// is linear in its input), before any of it runs through the model.
public struct ContextLimitError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was too long (`the prompt`, `probe 3's prompt`, `edit e1's prompt and target`).
    public var what: String
    public var tokens: Int
    public var requested: Int
    public var context: Int

    public var description: String {
        "\(what) is \(tokens) tokens" + (requested > 0 ? " and \(requested) more are asked for" : "")
            + ": more than the model's context of \(context) tokens; shorten it"
            + (requested > 0 ? " or ask for fewer tokens (--max-tokens)" : "")
    }

    /// Throws when `tokens` + `requested` is more than `context`.
    public static func check(_ what: String, tokens: Int, requested: Int = 0, context: Int) throws {
        guard tokens + requested > context else { return }
        throw ContextLimitError(what: what, tokens: tokens, requested: requested, context: context)
    }
}

extension TextGenerator {
    /// The prompt's tokens (as `generate` would make them), refused when they and `options.maxTokens` do not
    /// fit the model's context.
    public func checkedPromptTokens(_ prompt: String, options: GenerationOptions) throws -> [Int] {
        let tokens = promptTokens(prompt, useChatTemplate: options.useChatTemplate)
        try ContextLimitError.check("the prompt", tokens: tokens.count, requested: options.maxTokens,
                                    context: loaded.configuration.contextLength)
        return tokens
    }
}
