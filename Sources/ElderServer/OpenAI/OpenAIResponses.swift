import Elder
import ElderEditing
import Foundation

// The response bodies, in OpenAI's field names, plus Elder's `elder` extension: the commit that answered
// (also `system_fingerprint`), its state hash, and per choice the routing decision with the lines
// `elder ask --explain` prints.

struct Usage: Encodable, Sendable {
    var prompt_tokens: Int
    var completion_tokens: Int
    var total_tokens: Int { prompt_tokens + completion_tokens }

    enum CodingKeys: String, CodingKey { case prompt_tokens, completion_tokens, total_tokens }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(prompt_tokens, forKey: .prompt_tokens)
        try c.encode(completion_tokens, forKey: .completion_tokens)
        try c.encode(total_tokens, forKey: .total_tokens)
    }
}

/// The `elder` extension of a response or chunk.
struct ElderExtension: Encodable, Sendable {
    struct ChoiceRouting: Encodable, Sendable {
        var index: Int
        /// Nil for a method without a router (every prompt goes through the adapter).
        var routing: RoutingExplanation?
        var explanation: [String]

        init(index: Int, routing: RoutingExplanation?) {
            self.index = index
            self.routing = routing
            explanation = RoutingDescription.lines(routing)
        }
    }
    var version: String
    var commit: String
    var state_hash: String
    var choices: [ChoiceRouting]
}

/// A completion, a chat completion, or one chunk of either: OpenAI's envelope around the choices.
struct Envelope<Choice: Encodable & Sendable>: Encodable, Sendable {
    var id: String
    var object: String
    var created: Int
    var model: String
    var system_fingerprint: String
    var choices: [Choice]
    var usage: Usage?
    var elder: ElderExtension?
}

struct CompletionChoice: Encodable, Sendable {
    var index: Int
    var text: String
    var finish_reason: FinishReason?

    enum CodingKeys: String, CodingKey { case index, text, logprobs, finish_reason }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(text, forKey: .text)
        try c.encodeNil(forKey: .logprobs)
        try c.encode(finish_reason, forKey: .finish_reason)  // null while a stream goes on
    }
}

struct ChatChoice: Encodable, Sendable {
    struct Message: Encodable, Sendable {
        var role = "assistant"
        var content: String
    }
    var index: Int
    var message: Message
    var finish_reason: FinishReason

    enum CodingKeys: String, CodingKey { case index, message, logprobs, finish_reason }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(message, forKey: .message)
        try c.encodeNil(forKey: .logprobs)
        try c.encode(finish_reason, forKey: .finish_reason)
    }
}

struct ChatChunkChoice: Encodable, Sendable {
    struct Delta: Encodable, Sendable {
        var role: String?
        var content: String?
    }
    var index: Int
    var delta: Delta
    var finish_reason: FinishReason?

    enum CodingKeys: String, CodingKey { case index, delta, logprobs, finish_reason }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(delta, forKey: .delta)
        try c.encodeNil(forKey: .logprobs)
        try c.encode(finish_reason, forKey: .finish_reason)
    }
}

/// `GET /v1/models`: every name a request can give as `model` right now.
struct ModelList: Encodable, Sendable {
    struct Entry: Encodable, Sendable {
        struct Detail: Encodable, Sendable {
            var commit: String
            var kind: String
        }
        var id: String
        var object = "model"
        var created: Int64
        var owned_by = "elder"
        var elder: Detail
    }
    var object = "list"
    var data: [Entry]
}

/// JSON of a response value (sorted keys are not needed: clients read by name).
func jsonBytes<T: Encodable>(_ value: T) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return Array((try? encoder.encode(value)) ?? Data("{}".utf8))
}

/// A response id in OpenAI's style (`cmpl-…`, `chatcmpl-…`).
func responseID(prefix: String) -> String {
    prefix + "-" + (0..<3).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max)) }.joined()
}
