/// The chat format of an instruct model, recognized from its Jinja template.
///
/// Elder does not run Jinja: it recognizes two formats and reads the template's default system message,
/// if it has one. Other templates give nil, and prompts are then used as plain text.
/// - ChatML (`<|im_start|>role\n...<|im_end|>\n`), used by SmolLM2 and Qwen.
/// - Gemma (`<start_of_turn>user\n...<end_of_turn>\n<start_of_turn>model\n`): no system role, a system
///   message opens the first user turn followed by a blank line; the tokenizer adds BOS itself.
public struct ChatTemplate: Sendable, Equatable {
    public enum Format: Sendable, Equatable { case chatML, gemma }
    public let format: Format
    public let defaultSystemMessage: String?
    public let endOfTurnTokenID: Int?

    public init?(jinja: String, tokenizer: any Tokenizer) {
        if jinja.contains("<|im_start|>"), jinja.contains("<|im_end|>") {
            format = .chatML
            endOfTurnTokenID = tokenizer.id(of: "<|im_end|>")
            let marker = "<|im_start|>system\n"
            if let start = jinja.range(of: marker), let end = jinja.range(of: "<|im_end|>", range: start.upperBound..<jinja.endIndex) {
                let message = String(jinja[start.upperBound..<end.lowerBound])
                defaultSystemMessage = message.contains("{{") || message.contains("{%") ? nil : message
            } else {
                defaultSystemMessage = nil
            }
        } else if jinja.contains("<start_of_turn>"), jinja.contains("<end_of_turn>") {
            format = .gemma
            endOfTurnTokenID = tokenizer.id(of: "<end_of_turn>")
            defaultSystemMessage = nil
        } else {
            return nil
        }
    }

    /// The prompt text for one user turn, ending where the assistant's reply begins.
    public func render(user: String, system: String? = nil) -> String {
        let system = system ?? defaultSystemMessage
        switch format {
        case .chatML:
            var text = ""
            if let s = system { text += "<|im_start|>system\n\(s)<|im_end|>\n" }
            return text + "<|im_start|>user\n\(user)<|im_end|>\n<|im_start|>assistant\n"
        case .gemma:
            let turn = system.map { "\($0)\n\n\(user)" } ?? user
            return "<start_of_turn>user\n\(turn)<end_of_turn>\n<start_of_turn>model\n"
        }
    }
}
