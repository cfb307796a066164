import ElderEditing
import Foundation
import Hummingbird
import Logging

/// The answer to one generation request: its choices' events turned into OpenAI's response, or into a
/// stream of server-sent events (`data: {chunk}` … `data: [DONE]`) as the tokens come.
struct Answer: Sendable {
    let endpoint: OpenAIRoutes.Endpoint
    let plan: GenerationPlan
    let version: ServedVersion
    let jobs: [GenerationJob]
    let arrived: ContinuousClock.Instant
    let metrics: ServerMetrics
    let logger: Logger
    let id: String
    let created = Int(Date().timeIntervalSince1970)

    init(endpoint: OpenAIRoutes.Endpoint, plan: GenerationPlan, version: ServedVersion, jobs: [GenerationJob],
         arrived: ContinuousClock.Instant, metrics: ServerMetrics, logger: Logger) {
        self.endpoint = endpoint
        self.plan = plan
        self.version = version
        self.jobs = jobs
        self.arrived = arrived
        self.metrics = metrics
        self.logger = logger
        id = responseID(prefix: endpoint.idPrefix)
    }

    /// Prompt tokens as OpenAI counts them: once per prompt, whatever `n`.
    var promptTokens: Int { stride(from: 0, to: jobs.count, by: plan.n).reduce(0) { $0 + jobs[$1].promptTokens.count } }

    func elder(_ choices: [ElderExtension.ChoiceRouting]) -> ElderExtension {
        ElderExtension(version: plan.versionName, commit: version.commit.hex, state_hash: version.stateHash, choices: choices)
    }

    func envelope<Choice>(_ object: String, _ choices: [Choice], usage: Usage? = nil, elder: ElderExtension? = nil) -> Envelope<Choice> {
        Envelope(id: id, object: object, created: created, model: plan.versionName, system_fingerprint: version.commit.hex,
                 choices: choices, usage: usage, elder: elder)
    }

    // MARK: the whole answer at once

    /// Waits for every choice; the response as JSON.
    func collected(_ streams: [AsyncStream<GenerationEvent>]) async throws -> Response {
        var texts = [String](repeating: "", count: streams.count)
        var reasons = [FinishReason?](repeating: nil, count: streams.count)
        var routings: [ElderExtension.ChoiceRouting] = []
        var completionTokens = 0
        var firstToken: Duration?
        for (i, stream) in streams.enumerated() {
            for await event in stream {
                switch event {
                case .started(let routing): routings.append(.init(index: i, routing: routing))
                case .text(let piece):
                    if firstToken == nil { firstToken = ContinuousClock.now - arrived }
                    texts[i] += piece
                case .finished(let reason, let tokens):
                    reasons[i] = reason
                    completionTokens += tokens
                }
            }
            guard reasons[i] != nil else { throw APIError.internalError("choice \(i) ended before it finished") }
        }
        if let firstToken { metrics.timeToFirstToken(firstToken) }
        let usage = Usage(prompt_tokens: promptTokens, completion_tokens: completionTokens)
        log(completionTokens: completionTokens, firstToken: firstToken, streamed: false)
        let reason = { (i: Int) in reasons[i] ?? .stop }
        switch endpoint {
        case .completions:
            return json(envelope(endpoint.object, texts.indices.map { CompletionChoice(index: $0, text: texts[$0], finish_reason: reason($0)) },
                                 usage: usage, elder: elder(routings)))
        case .chat:
            return json(envelope(endpoint.object, texts.indices.map { ChatChoice(index: $0, message: .init(content: texts[$0]), finish_reason: reason($0)) },
                                 usage: usage, elder: elder(routings)))
        }
    }

    // MARK: the answer as it comes

    /// A 200 whose body streams the chunks; a client that goes away ends the stream's iteration, which
    /// cancels its sequences in the engine.
    func streamed(_ streams: [AsyncStream<GenerationEvent>]) -> Response {
        let events = merge(streams)
        let body = ResponseBody { writer in
            var completionTokens = 0
            var firstToken: Duration?
            for await (index, event) in events {
                switch event {
                case .started(let routing):
                    try await writer.write(sse(chunk(index: index, routing: routing)))
                case .text(let piece):
                    if firstToken == nil {
                        firstToken = ContinuousClock.now - arrived
                        metrics.timeToFirstToken(firstToken!)
                    }
                    try await writer.write(sse(chunk(index: index, text: piece)))
                case .finished(let reason, let tokens):
                    completionTokens += tokens
                    try await writer.write(sse(chunk(index: index, finish: reason)))
                }
            }
            if plan.includeUsage {
                let usage = Usage(prompt_tokens: promptTokens, completion_tokens: completionTokens)
                let bytes = endpoint == .chat ? jsonBytes(envelope(endpoint.chunkObject, [ChatChunkChoice](), usage: usage))
                                              : jsonBytes(envelope(endpoint.chunkObject, [CompletionChoice](), usage: usage))
                try await writer.write(sse(bytes))
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
            log(completionTokens: completionTokens, firstToken: firstToken, streamed: true)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// The first chunk of a choice: its routing in `elder` (and, for chat, the assistant's role).
    func chunk(index: Int, routing: RoutingExplanation?) -> [UInt8] {
        let ext = elder([.init(index: index, routing: routing)])
        switch endpoint {
        case .completions:
            return jsonBytes(envelope(endpoint.chunkObject, [CompletionChoice(index: index, text: "", finish_reason: nil)], elder: ext))
        case .chat:
            return jsonBytes(envelope(endpoint.chunkObject, [ChatChunkChoice(index: index, delta: .init(role: "assistant", content: ""),
                                                                            finish_reason: nil)], elder: ext))
        }
    }

    func chunk(index: Int, text: String) -> [UInt8] {
        switch endpoint {
        case .completions:
            return jsonBytes(envelope(endpoint.chunkObject, [CompletionChoice(index: index, text: text, finish_reason: nil)]))
        case .chat:
            return jsonBytes(envelope(endpoint.chunkObject, [ChatChunkChoice(index: index, delta: .init(content: text), finish_reason: nil)]))
        }
    }

    func chunk(index: Int, finish: FinishReason) -> [UInt8] {
        switch endpoint {
        case .completions:
            return jsonBytes(envelope(endpoint.chunkObject, [CompletionChoice(index: index, text: "", finish_reason: finish)]))
        case .chat:
            return jsonBytes(envelope(endpoint.chunkObject, [ChatChunkChoice(index: index, delta: .init(), finish_reason: finish)]))
        }
    }

    func sse(_ json: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(json)
        buffer.writeString("\n\n")
        return buffer
    }

    func log(completionTokens: Int, firstToken: Duration?, streamed: Bool) {
        func ms(_ d: Duration) -> String { String(format: "%.1f", Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15) }
        logger.info("generated", metadata: [
            "endpoint": "\(endpoint == .chat ? "chat" : "completions")", "version": "\(plan.versionName)", "commit": "\(version.commit.hex)",
            "choices": "\(jobs.count)", "prompt_tokens": "\(promptTokens)", "completion_tokens": "\(completionTokens)",
            "stream": "\(streamed)", "first_token_ms": "\(firstToken.map(ms) ?? "-")", "total_ms": "\(ms(ContinuousClock.now - arrived))",
        ])
    }
}

/// The events of several sequences as one stream, each tagged with its choice index. Ending the merged
/// stream's iteration cancels the sequences.
func merge(_ streams: [AsyncStream<GenerationEvent>]) -> AsyncStream<(Int, GenerationEvent)> {
    let (merged, continuation) = AsyncStream<(Int, GenerationEvent)>.makeStream()
    let feeder = Task {
        await withTaskGroup(of: Void.self) { group in
            for (index, stream) in streams.enumerated() {
                group.addTask { for await event in stream { continuation.yield((index, event)) } }
            }
        }
        continuation.finish()
    }
    continuation.onTermination = { _ in feeder.cancel() }
    return merged
}
