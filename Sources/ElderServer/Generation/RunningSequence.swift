import ElderEditing
import ElderModel

/// A sequence the engine is generating: its edited model (version + routing decision), KV cache, sampler
/// and text so far. Used only on the engine's thread.
final class RunningSequence {
    let id: Int
    let job: GenerationJob
    let events: AsyncStream<GenerationEvent>.Continuation
    let edited: EditedModel
    let cache: KVCache
    var sampler: Sampler
    var text: GeneratedText
    /// Tokens generated so far, and the next one to feed.
    var generated = 0
    var next = 0
    var finished = false
    /// KV positions reserved for it (prompt + max_tokens).
    var reservedPositions: Int { job.promptTokens.count + job.maxTokens }

    init(id: Int, job: GenerationJob, events: AsyncStream<GenerationEvent>.Continuation, model: LoadedModel) {
        self.id = id
        self.job = job
        self.events = events
        edited = EditedModel(editor: job.version.editor, model: model.model)
        cache = KVCache(configuration: model.configuration, reserve: job.promptTokens.count + job.maxTokens)
        sampler = Sampler(job.sampling)
        text = GeneratedText(stopStrings: job.stopStrings)
    }
}
