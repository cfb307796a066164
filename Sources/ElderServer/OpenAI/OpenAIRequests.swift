import Foundation

// The request bodies of /v1/completions and /v1/chat/completions as OpenAI defines them. Fields Elder does
// not implement are decoded too, so that a request using them is refused by name instead of answered as
// if they had been honoured (`RequestValidation`). Unknown fields are ignored, as clients add their own.

/// `prompt`: a text, a list of texts, a list of token ids, or a list of lists of token ids.
enum PromptInput: Decodable, Sendable {
    case texts([String])
    case tokens([[Int]])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) { self = .texts([text]); return }
        if let texts = try? c.decode([String].self) { self = .texts(texts); return }
        if let ids = try? c.decode([Int].self) { self = .tokens([ids]); return }
        if let lists = try? c.decode([[Int]].self) { self = .tokens(lists); return }
        throw DecodingError.typeMismatch(PromptInput.self, .init(codingPath: decoder.codingPath,
            debugDescription: "must be a string, a list of strings, a list of token ids or a list of such lists"))
    }

    var count: Int {
        switch self {
        case .texts(let t): return t.count
        case .tokens(let t): return t.count
        }
    }
}

/// `stop`: one string or a list of strings.
struct StopInput: Decodable, Sendable {
    var strings: [String]

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let one = try? c.decode(String.self) { strings = [one]; return }
        if let many = try? c.decode([String].self) { strings = many; return }
        throw DecodingError.typeMismatch(StopInput.self, .init(codingPath: decoder.codingPath,
            debugDescription: "must be a string or a list of strings"))
    }
}

/// Any JSON value, only to notice that a field is there.
struct PresentValue: Decodable, Sendable {
    init(from decoder: any Decoder) throws {}
}

struct StreamOptions: Decodable, Sendable {
    var include_usage: Bool?
}

/// The sampling and stopping fields both endpoints share.
protocol SamplingRequest {
    var model: String { get }
    var temperature: Double? { get }
    var top_p: Double? { get }
    var n: Int? { get }
    var stream: Bool? { get }
    var stream_options: StreamOptions? { get }
    var stop: StopInput? { get }
    var seed: Int64? { get }
    var presence_penalty: Double? { get }
    var frequency_penalty: Double? { get }
    var logit_bias: [String: Double]? { get }
}

struct CompletionRequest: Decodable, Sendable, SamplingRequest {
    var model: String
    var prompt: PromptInput
    var max_tokens: Int?
    var temperature: Double?
    var top_p: Double?
    var n: Int?
    var stream: Bool?
    var stream_options: StreamOptions?
    var stop: StopInput?
    var seed: Int64?
    var presence_penalty: Double?
    var frequency_penalty: Double?
    var logit_bias: [String: Double]?
    var echo: Bool?
    var logprobs: Int?
    var best_of: Int?
    var suffix: String?
    var user: String?
}

struct ChatRequest: Decodable, Sendable, SamplingRequest {
    struct Message: Decodable, Sendable {
        var role: String
        var content: Content?
    }

    /// A message's content: a text, or parts of which only text parts are read.
    enum Content: Decodable, Sendable {
        case text(String)
        case parts([Part])

        struct Part: Decodable, Sendable {
            var type: String
            var text: String?
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let text = try? c.decode(String.self) { self = .text(text); return }
            if let parts = try? c.decode([Part].self) { self = .parts(parts); return }
            throw DecodingError.typeMismatch(Content.self, .init(codingPath: decoder.codingPath,
                debugDescription: "must be a string or a list of {\"type\": \"text\", \"text\": ...} parts"))
        }
    }

    struct ResponseFormat: Decodable, Sendable {
        var type: String
    }

    var model: String
    var messages: [Message]
    var max_tokens: Int?
    var max_completion_tokens: Int?
    var temperature: Double?
    var top_p: Double?
    var n: Int?
    var stream: Bool?
    var stream_options: StreamOptions?
    var stop: StopInput?
    var seed: Int64?
    var presence_penalty: Double?
    var frequency_penalty: Double?
    var logit_bias: [String: Double]?
    var logprobs: Bool?
    var top_logprobs: Int?
    var response_format: ResponseFormat?
    var tools: PresentValue?
    var tool_choice: PresentValue?
    var functions: PresentValue?
    var function_call: PresentValue?
    var user: String?
}

/// A decoding failure as one sentence naming the field, and the field.
func decodingFailure(_ error: DecodingError) -> (message: String, param: String?) {
    func path(_ keys: [any CodingKey]) -> String? {
        var out = ""
        for key in keys {
            if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
        }
        return out.isEmpty ? nil : out
    }
    switch error {
    case let .keyNotFound(key, context):
        let field = path(context.codingPath + [key]) ?? key.stringValue
        return ("'\(field)' is required", field)
    case let .typeMismatch(type, context):
        let field = path(context.codingPath)
        let what = context.debugDescription.hasPrefix("must") ? context.debugDescription : "must be \(expected(type))"
        return ("'\(field ?? "body")' \(what)", field)
    case let .valueNotFound(type, context):
        let field = path(context.codingPath)
        return ("'\(field ?? "body")' must be \(expected(type)), not null", field)
    case let .dataCorrupted(context):
        if let field = path(context.codingPath) { return ("'\(field)' is not valid: \(context.debugDescription)", field) }
        return ("the body is not valid JSON: send a JSON object such as {\"model\": \"main\", \"prompt\": \"...\"}", nil)
    @unknown default:
        return ("the body is not a valid request", nil)
    }
}

private func expected(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Int.Type, is Int64.Type: return "an integer"
    case is Double.Type: return "a number"
    case is Bool.Type: return "true or false"
    default:
        let name = "\(type)"
        if name.hasPrefix("Array") { return "a list" }
        if name.hasPrefix("Dictionary") { return "an object" }
        return "an object"
    }
}
