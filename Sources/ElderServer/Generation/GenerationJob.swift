import ElderEditing
import ElderModel

/// One sequence to generate: a prompt (tokens, checked against the context), a version to answer from,
/// and how to sample and when to stop.
struct GenerationJob: Sendable {
    var version: ServedVersion
    var promptTokens: [Int]
    /// At most this many tokens; the prompt plus this fits the model's context.
    var maxTokens: Int
    var sampling: SamplingParameters
    var stopStrings: [String]
}

/// Why a sequence ended, in OpenAI's words: `stop` (end of turn or a stop string) or `length` (max_tokens).
enum FinishReason: String, Sendable, Encodable {
    case stop, length
}

/// What a running sequence reports, in order: `started` once its prompt is read, `text` pieces (complete
/// UTF-8 characters, stop strings cut), then `finished`.
enum GenerationEvent: Sendable {
    case started(routing: RoutingExplanation?)
    case text(String)
    case finished(FinishReason, completionTokens: Int)
}

/// Why the engine did not take a job.
enum EngineRefusal: Error, Sendable {
    /// The queue is full (`ServerConfiguration.maxQueuedSequences`).
    case busy(queued: Int)
    /// The server is shutting down.
    case stopping
}
