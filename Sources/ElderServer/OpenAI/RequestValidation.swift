import ElderModel
import Foundation

/// A request's prompt, before tokenizing.
enum PromptSource: Sendable {
    case text(String)
    case tokens([Int])
    case chat([ChatMessage])
}

/// A generation request checked field by field: which version, which prompts, how many choices of each,
/// how to sample and when to stop. Anything Elder does not implement is refused by name (400) rather than
/// silently ignored.
struct GenerationPlan: Sendable {
    var versionName: String
    var prompts: [PromptSource]
    /// Choices per prompt.
    var n: Int
    /// As requested; nil means the endpoint's default (`maxTokens(promptTokens:)`).
    var requestedMaxTokens: Int?
    var sampling: SamplingParameters
    var stop: [String]
    var stream: Bool
    var includeUsage: Bool

    /// The most bytes a model name may have (a ref name or a revision expression).
    static let maxModelNameBytes = 256
    /// OpenAI's bound on stop strings, and the longest one accepted.
    static let maxStopStrings = 4, maxStopBytes = 256

    init(completion r: CompletionRequest, configuration: ServerConfiguration) throws(APIError) {
        let prompts: [PromptSource]
        switch r.prompt {
        case .texts(let texts): prompts = texts.map { .text($0) }
        case .tokens(let lists): prompts = lists.map { .tokens($0) }
        }
        if prompts.isEmpty { throw .invalid("'prompt' is an empty list: give at least one prompt", param: "prompt") }
        if r.echo == true { throw Self.unsupported("echo") }
        if let l = r.logprobs, l > 0 { throw Self.unsupported("logprobs") }
        if let b = r.best_of, b != (r.n ?? 1) { throw Self.unsupported("best_of") }
        if let s = r.suffix, !s.isEmpty { throw Self.unsupported("suffix") }
        try self.init(r, prompts: prompts, maxTokens: r.max_tokens, maxTokensField: "max_tokens", configuration: configuration)
    }

    init(chat r: ChatRequest, configuration: ServerConfiguration) throws(APIError) {
        if r.messages.isEmpty { throw .invalid("'messages' is empty: give at least one message", param: "messages") }
        var messages: [ChatMessage] = []
        for (i, m) in r.messages.enumerated() {
            let role: String
            switch m.role {
            case "system", "developer": role = "system"
            case "user", "assistant": role = m.role
            default:
                throw .invalid("'messages[\(i)].role' is '\(m.role)': elder serve reads system, developer, user and assistant messages "
                               + "(no tools)", param: "messages[\(i)].role")
            }
            let content: String
            switch m.content {
            case .text(let text)?: content = text
            case .parts(let parts)?:
                if let other = parts.first(where: { $0.type != "text" }) {
                    throw .invalid("'messages[\(i)].content' has a '\(other.type)' part: only text parts can be read", param: "messages[\(i)].content")
                }
                content = parts.compactMap(\.text).joined()
            case nil: throw .invalid("'messages[\(i)].content' is missing: give the message's text", param: "messages[\(i)].content")
            }
            messages.append(ChatMessage(role: role, content: content))
        }
        for (field, value) in [("tools", r.tools), ("tool_choice", r.tool_choice), ("functions", r.functions),
                               ("function_call", r.function_call)] where value != nil {
            throw Self.unsupported(field)
        }
        if r.logprobs == true || (r.top_logprobs ?? 0) > 0 { throw Self.unsupported("logprobs") }
        if let format = r.response_format, format.type != "text" { throw Self.unsupported("response_format \(format.type)") }
        if r.max_tokens != nil && r.max_completion_tokens != nil {
            throw .invalid("give max_tokens or max_completion_tokens, not both", param: "max_completion_tokens")
        }
        try self.init(r, prompts: [.chat(messages)], maxTokens: r.max_completion_tokens ?? r.max_tokens,
                      maxTokensField: r.max_completion_tokens != nil ? "max_completion_tokens" : "max_tokens", configuration: configuration)
    }

    private init(_ r: some SamplingRequest, prompts: [PromptSource], maxTokens: Int?, maxTokensField: String,
                 configuration: ServerConfiguration) throws(APIError) {
        let name = r.model
        if name.isEmpty { throw .invalid("'model' is empty: give a version (a branch, a tag, a commit, HEAD)", param: "model") }
        if name.utf8.count > Self.maxModelNameBytes || name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw .invalid("'model' is not a version name (at most \(Self.maxModelNameBytes) bytes, no control characters)", param: "model")
        }
        versionName = name
        self.prompts = prompts
        n = r.n ?? 1
        guard n >= 1 else { throw .invalid("'n' must be at least 1", param: "n") }
        guard n * prompts.count <= configuration.maxChoices else {
            throw .invalid("\(n * prompts.count) choices asked (n × prompts): at most \(configuration.maxChoices)", param: "n")
        }
        if let m = maxTokens, m < 1 { throw .invalid("'\(maxTokensField)' must be at least 1, got \(m)", param: maxTokensField) }
        requestedMaxTokens = maxTokens
        let temperature = r.temperature ?? 1
        guard temperature.isFinite, (0...2).contains(temperature) else {
            throw .invalid("'temperature' must be between 0 and 2, got \(temperature)", param: "temperature")
        }
        let topP = r.top_p ?? 1
        guard topP.isFinite, (0...1).contains(topP) else { throw .invalid("'top_p' must be between 0 and 1, got \(topP)", param: "top_p") }
        if let p = r.presence_penalty, p != 0 { throw Self.unsupported("presence_penalty") }
        if let p = r.frequency_penalty, p != 0 { throw Self.unsupported("frequency_penalty") }
        if let bias = r.logit_bias, !bias.isEmpty { throw Self.unsupported("logit_bias") }
        let stop = r.stop?.strings ?? []
        guard stop.count <= Self.maxStopStrings else {
            throw .invalid("'stop' has \(stop.count) strings: at most \(Self.maxStopStrings)", param: "stop")
        }
        guard stop.allSatisfy({ $0.utf8.count <= Self.maxStopBytes }) else {
            throw .invalid("a 'stop' string is longer than \(Self.maxStopBytes) bytes", param: "stop")
        }
        self.stop = stop
        // No seed: a fresh one per request (sampling is then not reproducible, as with OpenAI).
        let seed = r.seed.map { UInt64(bitPattern: $0) } ?? UInt64.random(in: .min ... .max)
        sampling = SamplingParameters(temperature: Float(temperature), topP: Float(topP), seed: seed)
        stream = r.stream ?? false
        includeUsage = r.stream_options?.include_usage ?? false
        if r.stream_options != nil && !stream { throw .invalid("'stream_options' needs \"stream\": true", param: "stream_options") }
    }

    private static func unsupported(_ field: String) -> APIError {
        .invalid("'\(field)' is not supported by elder serve: leave it out", param: field.split(separator: " ").first.map(String.init),
                 code: "unsupported_parameter")
    }

    /// The sampling of choice `index` of a prompt: the request's seed, moved along so choices differ.
    func sampling(choice index: Int) -> SamplingParameters {
        var s = sampling
        s.seed &+= UInt64(index)
        return s
    }
}

/// A prompt's tokens, checked against the model: text within the configured sizes before it is tokenized,
/// not empty, token ids in the vocabulary, and room left in the context for at least one generated token.
func promptTokens(_ source: PromptSource, model: LoadedModel, configuration: ServerConfiguration) throws(APIError) -> [Int] {
    let texts: [String] = switch source {
    case .text(let text): [text]
    case .tokens: []
    case .chat(let messages): messages.map(\.content)
    }
    let bytes = texts.reduce(0) { $0 + $1.utf8.count }
    if bytes > configuration.maxPromptBytes {
        throw .invalid("the prompt has \(bytes) bytes; at most \(configuration.maxPromptBytes) are read (the model's context holds "
                       + "\(model.configuration.contextLength) tokens): shorten it", param: "prompt", code: "context_length_exceeded")
    }
    let tokens: [Int]
    switch source {
    case .text(let text): tokens = model.tokenizer.encode(text)
    case .tokens(let ids):
        if let bad = ids.first(where: { $0 < 0 || $0 >= model.tokenizer.vocabularySize }) {
            throw .invalid("token id \(bad) is not in the model's vocabulary (0..<\(model.tokenizer.vocabularySize))", param: "prompt")
        }
        tokens = ids
    case .chat(let messages):
        guard let template = model.chatTemplate else {
            throw .invalid("this model has no chat template: use /v1/completions with a plain prompt", param: "messages")
        }
        tokens = model.tokenizer.encode(template.segments(messages))
    }
    if tokens.isEmpty { throw .invalid("the prompt is empty: give the text the model should continue", param: "prompt") }
    try checkContext(tokens: tokens.count, requested: 1, context: model.configuration.contextLength, param: "prompt")
    return tokens
}

/// The context rule every command follows (`ContextLimitError.check`), as a 400 in the API's words: the
/// prompt's tokens and `requested` more (at least one for the answer, or the request's `param`) must fit.
func checkContext(tokens: Int, requested: Int, context: Int, param: String) throws(APIError) {
    do {
        try ContextLimitError.check("the prompt", tokens: tokens, requested: requested, context: context)
    } catch {
        let asked = param == "prompt" ? "the answer needs at least one more" : "'\(param)' asks for \(requested) more"
        throw .invalid("the prompt is \(tokens) tokens and \(asked): more than the model's context of \(context) tokens; "
                       + "shorten the prompt" + (param == "prompt" ? "" : " or lower '\(param)'"), param: param, code: "context_length_exceeded")
    }
}

extension GenerationPlan {
    /// The completion length for a prompt of `promptTokens` tokens: as requested (it must fit the context)
    /// or the endpoint's default, cut to what the context leaves.
    func maxTokens(promptTokens: Int, context: Int, default defaultTokens: Int, field: String) throws(APIError) -> Int {
        let room = context - promptTokens
        guard let requested = requestedMaxTokens else { return max(1, min(defaultTokens, room)) }
        try checkContext(tokens: promptTokens, requested: requested, context: context, param: field)
        return requested
    }
}
