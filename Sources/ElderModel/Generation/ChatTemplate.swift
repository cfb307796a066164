/// The chat format of an instruct model, recognized from its Jinja template.
///
/// Elder does not run Jinja: it recognizes ChatML (`<|im_start|>role\n...<|im_end|>\n`, used by
/// SmolLM2 and Qwen) and reads the template's default system message, if it has one. Other
/// templates give nil, and prompts are then used as plain text.
public struct ChatTemplate: Sendable, Equatable {
    public let defaultSystemMessage: String?
    public let endOfTurnTokenID: Int?

    public init?(jinja: String, tokenizer: BPETokenizer) {
        guard jinja.contains("<|im_start|>"), jinja.contains("<|im_end|>") else { return nil }
        endOfTurnTokenID = tokenizer.id(of: "<|im_end|>")
        let marker = "<|im_start|>system\n"
        if let start = jinja.range(of: marker), let end = jinja.range(of: "<|im_end|>", range: start.upperBound..<jinja.endIndex) {
            let message = String(jinja[start.upperBound..<end.lowerBound])
            defaultSystemMessage = message.contains("{{") || message.contains("{%") ? nil : message
        } else {
            defaultSystemMessage = nil
        }
    }

    /// The prompt text for one user turn, ending where the assistant's reply begins.
    public func render(user: String, system: String? = nil) -> String {
        var text = ""
        if let s = system ?? defaultSystemMessage { text += "<|im_start|>system\n\(s)<|im_end|>\n" }
        return text + "<|im_start|>user\n\(user)<|im_end|>\n<|im_start|>assistant\n"
    }
}
