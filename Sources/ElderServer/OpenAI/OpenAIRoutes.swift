import Elder
import ElderModel
import Foundation
import Hummingbird
import Logging

/// The OpenAI-compatible route group: `GET /v1/models`, `GET /v1/models/{name}`, `POST /v1/completions`
/// and `POST /v1/chat/completions`. A request's `model` names a version of the knowledge; the answer says
/// which commit gave it (`system_fingerprint`) and why the adapter fired or not (`elder`).
struct OpenAIRoutes: Sendable {
    let library: VersionLibrary
    let engine: GenerationEngine
    let model: LoadedModel
    let configuration: ServerConfiguration
    let metrics: ServerMetrics

    enum Endpoint: Sendable {
        case completions, chat

        var object: String { self == .completions ? "text_completion" : "chat.completion" }
        var chunkObject: String { self == .completions ? "text_completion" : "chat.completion.chunk" }
        var idPrefix: String { self == .completions ? "cmpl" : "chatcmpl" }
    }

    func add(to router: Router<BasicRequestContext>) {
        let v1 = router.group("v1")
        v1.get("models") { _, _ in try await models() }
        v1.get("models/**") { _, context in try await describe(context.parameters.getCatchAll().joined(separator: "/")) }
        v1.post("completions") { request, context in try await generate(request, context: context, endpoint: .completions) }
        v1.post("chat/completions") { request, context in try await generate(request, context: context, endpoint: .chat) }
    }

    // MARK: versions

    func models() async throws -> Response {
        let names = try await library.names()
        let list = ModelList(data: names.map {
            ModelList.Entry(id: $0.name, created: $0.time, elder: .init(commit: $0.commit.hex, kind: $0.kind.rawValue))
        })
        return json(list)
    }

    func describe(_ name: String) async throws -> Response {
        do {
            let v = try await library.describe(name)
            return json(ModelList.Entry(id: name, created: v.time, elder: .init(commit: v.commit.hex, kind: v.kind.rawValue)))
        } catch WorkspaceError.unknownRevision {
            throw APIError.unknownVersion(name, refs: (try? await library.names().map(\.name)) ?? [])
        }
    }

    /// The version a request names, rebuilt or from the cache.
    func version(named name: String) async throws -> ServedVersion {
        do {
            return try await library.version(named: name)
        } catch WorkspaceError.unknownRevision {
            throw APIError.unknownVersion(name, refs: (try? await library.names().map(\.name)) ?? [])
        } catch {
            throw APIError.unservable(name, reason: String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " "))
        }
    }

    // MARK: generation

    func generate(_ request: Request, context requestContext: BasicRequestContext, endpoint: Endpoint) async throws -> Response {
        let arrived = ContinuousClock.now
        let body = try await readBody(request)
        let plan = switch endpoint {
        case .completions: try GenerationPlan(completion: try decode(CompletionRequest.self, body), configuration: configuration)
        case .chat: try GenerationPlan(chat: try decode(ChatRequest.self, body), configuration: configuration)
        }
        let version = try await version(named: plan.versionName)
        let model = self.model, configuration = self.configuration
        let prompts = try await offload {
            try plan.prompts.map { source throws(APIError) in try promptTokens(source, model: model, configuration: configuration) }
        }
        let context = model.configuration.contextLength
        let field = endpoint == .chat ? "max_completion_tokens" : "max_tokens"
        let defaultTokens = endpoint == .chat ? configuration.defaultChatTokens : configuration.defaultCompletionTokens
        var jobs: [GenerationJob] = []
        for tokens in prompts {
            let maxTokens = try plan.maxTokens(promptTokens: tokens.count, context: context, default: defaultTokens, field: field)
            for choice in 0..<plan.n {
                jobs.append(GenerationJob(version: version, promptTokens: tokens, maxTokens: maxTokens,
                                          sampling: plan.sampling(choice: choice), stopStrings: plan.stop))
            }
        }
        var streams: [AsyncStream<GenerationEvent>] = []
        do {
            for job in jobs { streams.append(try engine.submit(job)) }
        } catch {
            switch error {
            case .busy(let queued): throw APIError.busy(queued: queued)
            case .stopping: throw APIError.shuttingDown
            }
        }
        let answer = Answer(endpoint: endpoint, plan: plan, version: version, jobs: jobs, arrived: arrived,
                            metrics: metrics, logger: requestContext.logger)
        return plan.stream ? answer.streamed(streams) : try await answer.collected(streams)
    }

    /// The body, at most `maxBodyBytes` (413 beyond).
    func readBody(_ request: Request) async throws -> [UInt8] {
        let limit = configuration.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit { throw APIError.tooLarge(limit: limit) }
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.tooLarge(limit: limit)
        } catch {
            throw APIError.invalid("the request body cannot be read (\(error)): send it whole, with a correct Content-Length or chunked encoding")
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws(APIError) -> T {
        if body.isEmpty { throw .invalid("the body is empty: send a JSON object such as {\"model\": \"main\", \"prompt\": \"...\"}") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            let (message, param) = decodingFailure(error)
            throw .invalid(message, param: param)
        } catch {
            throw .invalid("the body is not valid JSON: \(error)")
        }
    }
}

func json<T: Encodable>(_ value: T) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: jsonBytes(value))))
}
