import ElderEditing
import ElderModel
import Foundation
import ServiceLifecycle

/// Runs every generation of the server on one thread, with continuous batching: each step reads the
/// prompts of newly admitted sequences, then decodes one token for every running sequence, up to
/// `batchSize` of them in one pass through the model (each with its own version's adapter and routing,
/// over the one shared base model). A sequence whose client went away is dropped before the next step.
///
/// The thread owns the model work; other threads only queue jobs and mark them cancelled, under `lock`.
/// Memory is bounded: at most `maxActiveSequences` run, their KV caches within `kvTokenBudget`
/// positions, and at most `maxQueuedSequences` wait.
final class GenerationEngine: Service, @unchecked Sendable {
    private struct Pending {
        var id: Int
        var job: GenerationJob
        var events: AsyncStream<GenerationEvent>.Continuation
    }

    private let model: LoadedModel
    private let batchSize: Int
    private let maxActive: Int
    private let maxQueued: Int
    private let budget: Int
    private let metrics: ServerMetrics

    private let lock = NSCondition()
    // Guarded by `lock`.
    private var queue: [Pending] = []
    private var cancelled: Set<Int> = []
    private var reserved = 0
    private var nextID = 0
    private var stopping = false
    private var exited = false
    private var onExit: [CheckedContinuation<Void, Never>] = []
    // The engine thread's own.
    private var running: [RunningSequence] = []

    init(model: LoadedModel, configuration: ServerConfiguration, metrics: ServerMetrics) {
        self.model = model
        batchSize = max(1, configuration.batchSize)
        maxActive = max(1, configuration.maxActiveSequences)
        maxQueued = max(0, configuration.maxQueuedSequences)
        budget = max(configuration.kvTokenBudget, model.configuration.contextLength)
        self.metrics = metrics
    }

    /// Queues a job; its events arrive on the stream. Ending the stream's iteration (a client gone)
    /// cancels the sequence.
    func submit(_ job: GenerationJob) throws(EngineRefusal) -> AsyncStream<GenerationEvent> {
        let (stream, events) = AsyncStream<GenerationEvent>.makeStream()
        lock.lock()
        defer { lock.unlock() }
        if stopping { throw .stopping }
        if queue.count >= maxQueued + maxActive { throw .busy(queued: queue.count) }
        let id = nextID
        nextID += 1
        events.onTermination = { [weak self] reason in
            if case .cancelled = reason { self?.cancel(id) }
        }
        queue.append(Pending(id: id, job: job, events: events))
        metrics.queuedSequences(queue.count)
        lock.signal()
        return stream
    }

    private func cancel(_ id: Int) {
        lock.lock()
        cancelled.insert(id)
        lock.signal()
        lock.unlock()
    }

    // MARK: the service: runs until graceful shutdown, then finishes what is running and stops

    func run() async throws {
        let thread = Thread { [self] in loop() }
        thread.name = "elder-generation"
        thread.start()
        try? await gracefulShutdown()
        await stop()
    }

    /// Refuses new jobs, lets the admitted and queued ones finish, and waits for the thread to end.
    private func stop() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            lock.lock()
            stopping = true
            if exited { done.resume() } else { onExit.append(done) }
            lock.signal()
            lock.unlock()
        }
    }

    // MARK: the engine thread

    private func loop() {
        while true {
            lock.lock()
            while queue.isEmpty && running.isEmpty && cancelled.isEmpty && !stopping { lock.wait() }
            if stopping && queue.isEmpty && running.isEmpty {
                exited = true
                let waiting = onExit
                onExit = []
                lock.unlock()
                waiting.forEach { $0.resume() }
                return
            }
            let dropped = cancelled
            cancelled = []
            queue.removeAll { pending in
                guard dropped.contains(pending.id) else { return false }
                pending.events.finish()
                return true
            }
            var admitted: [Pending] = []
            while let head = queue.first, running.count + admitted.count < maxActive,
                  reserved + head.job.promptTokens.count + head.job.maxTokens <= budget {
                reserved += head.job.promptTokens.count + head.job.maxTokens
                admitted.append(queue.removeFirst())
            }
            metrics.queuedSequences(queue.count)
            lock.unlock()

            for sequence in running where dropped.contains(sequence.id) { end(sequence, reason: nil) }
            running.removeAll(where: \.finished)
            for pending in admitted { start(pending) }
            step()
            metrics.runningSequences(running.count)
        }
    }

    /// Reads a new sequence's prompt (its routing decision comes from it) and takes its first token.
    private func start(_ pending: Pending) {
        let sequence = RunningSequence(id: pending.id, job: pending.job, events: pending.events, model: model)
        let logits = sequence.edited.forward(pending.job.promptTokens, cache: sequence.cache, lastOnly: true)
        sequence.events.yield(.started(routing: sequence.edited.routing))
        metrics.promptTokens(pending.job.promptTokens.count)
        running.append(sequence)
        accept(sampled: sequence.sampler.sample(logits.scalars), by: sequence)
        running.removeAll(where: \.finished)
    }

    /// One token for every running sequence, `batchSize` sequences per pass through the model.
    private func step() {
        var start = 0
        while start < running.count {
            let batch = Array(running[start..<min(start + batchSize, running.count)])
            let logits = EditedModel.decode(batch.map(\.edited), ids: batch.map(\.next), caches: batch.map(\.cache))
            metrics.decodeBatch(batch.count)
            for (b, sequence) in batch.enumerated() { accept(sampled: sequence.sampler.sample(logits.row(b)), by: sequence) }
            start += batchSize
        }
        running.removeAll(where: \.finished)
    }

    /// Takes a sampled token: ends the sequence at an end-of-turn token, a stop string or max_tokens,
    /// else passes on the text it completes and feeds it next.
    private func accept(sampled token: Int, by sequence: RunningSequence) {
        if model.stopTokenIDs.contains(token) { return end(sequence, reason: .stop) }
        sequence.generated += 1
        metrics.generatedTokens(1)
        let piece = sequence.text.append(model.tokenizer.bytes([token]))
        if !piece.isEmpty { sequence.events.yield(.text(piece)) }
        if sequence.text.stopped { return end(sequence, reason: .stop) }
        if sequence.generated >= sequence.job.maxTokens {
            let rest = sequence.text.finish()
            if !rest.isEmpty { sequence.events.yield(.text(rest)) }
            return end(sequence, reason: .length)
        }
        sequence.next = token
    }

    /// Ends a sequence (nil reason: its client went away) and frees its reservation.
    private func end(_ sequence: RunningSequence, reason: FinishReason?) {
        guard !sequence.finished else { return }
        sequence.finished = true
        if let reason { sequence.events.yield(.finished(reason, completionTokens: sequence.generated)) } else {
            metrics.cancelledSequence()
        }
        sequence.events.finish()
        lock.lock()
        reserved -= sequence.reservedPositions
        lock.unlock()
    }
}
