/// One turn of a conversation: a role (`system`, `user`, `assistant`) and its text.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// The chat format of an instruct model, recognized from its Jinja template.
///
/// Elder does not run Jinja: it recognizes two formats and reads the template's default system message,
/// if it has one. Other templates give nil, and prompts are then used as plain text.
/// - ChatML (`<|im_start|>role\n...<|im_end|>\n`), used by SmolLM2 and Qwen.
/// - Gemma (`<start_of_turn>user\n...<end_of_turn>\n<start_of_turn>model\n`): no system role, a system
///   message opens the first user turn followed by a blank line; the assistant's role is `model`; the
///   tokenizer adds BOS itself.
public struct ChatTemplate: Sendable, Equatable {
    public enum Format: Sendable, Equatable {
        case chatML, gemma

        /// The spellings that open and close a turn, and the role the reply is given.
        var startOfTurn: String { self == .chatML ? "<|im_start|>" : "<start_of_turn>" }
        var endOfTurn: String { self == .chatML ? "<|im_end|>" : "<end_of_turn>" }
        var replyRole: String { self == .chatML ? "assistant" : "model" }
    }
    public let format: Format
    public let defaultSystemMessage: String?
    public let startOfTurnTokenID: Int?
    public let endOfTurnTokenID: Int?

    public init?(jinja: String, tokenizer: any Tokenizer) {
        if jinja.contains("<|im_start|>"), jinja.contains("<|im_end|>") {
            format = .chatML
            let marker = "<|im_start|>system\n"
            if let start = jinja.range(of: marker), let end = jinja.range(of: "<|im_end|>", range: start.upperBound..<jinja.endIndex) {
                let message = String(jinja[start.upperBound..<end.lowerBound])
                defaultSystemMessage = message.contains("{{") || message.contains("{%") ? nil : message
            } else {
                defaultSystemMessage = nil
            }
        } else if jinja.contains("<start_of_turn>"), jinja.contains("<end_of_turn>") {
            format = .gemma
            defaultSystemMessage = nil
        } else {
            return nil
        }
        startOfTurnTokenID = tokenizer.id(of: format.startOfTurn)
        endOfTurnTokenID = tokenizer.id(of: format.endOfTurn)
    }

    var startOfTurn: String { format.startOfTurn }
    var endOfTurn: String { format.endOfTurn }
    var replyRole: String { format.replyRole }

    /// The conversation as the format writes its turns: the default system message first when it has no
    /// system turn of its own; for Gemma, a leading system message opens the first user turn (a blank line
    /// between), `assistant` is `model` and any other role is `user`.
    func turns(_ messages: [ChatMessage]) -> [ChatMessage] {
        var messages = messages
        if messages.first?.role != "system", let system = defaultSystemMessage {
            messages.insert(ChatMessage(role: "system", content: system), at: 0)
        }
        guard format == .gemma else { return messages }
        if messages.first?.role == "system" {
            let system = messages.removeFirst().content
            if messages.first?.role == "user" {
                messages[0].content = system + "\n\n" + messages[0].content
            } else {
                messages.insert(ChatMessage(role: "user", content: system), at: 0)
            }
        }
        return messages.map { ChatMessage(role: $0.role == "assistant" ? "model" : "user", content: $0.content) }
    }

    /// The prompt text of a conversation, ending where the assistant's reply begins.
    public func render(_ messages: [ChatMessage]) -> String {
        turns(messages).map { startOfTurn + $0.role + "\n" + $0.content + endOfTurn + "\n" }.joined() + startOfTurn + replyRole + "\n"
    }

    /// The prompt text for one user turn, ending where the assistant's reply begins.
    public func render(user: String, system: String? = nil) -> String {
        render((system.map { [ChatMessage(role: "system", content: $0)] } ?? []) + [ChatMessage(role: "user", content: user)])
    }

    /// `render(messages)` as tokenizer input: the turn markers are special tokens (when the vocabulary has
    /// them), roles and contents are text, so a content that spells `<|im_end|>` cannot end its turn.
    public func segments(_ messages: [ChatMessage]) -> [TokenizerSegment] {
        func marker(_ text: String, _ id: Int?) -> TokenizerSegment { id.map { .special($0) } ?? .text(text) }
        var pieces: [TokenizerSegment] = []
        for turn in turns(messages) {
            pieces += [marker(startOfTurn, startOfTurnTokenID), .text(turn.role + "\n" + turn.content),
                       marker(endOfTurn, endOfTurnTokenID), .text("\n")]
        }
        pieces += [marker(startOfTurn, startOfTurnTokenID), .text(replyRole + "\n")]
        // Text next to text is one piece, as the rendered string would be split.
        var out: [TokenizerSegment] = []
        for piece in pieces {
            if case .text(let b) = piece, case .text(let a)? = out.last { out[out.count - 1] = .text(a + b) } else { out.append(piece) }
        }
        return out
    }
}
