import Elder
import ElderModel
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// `elder serve`: the versions of a knowledge repo answered over HTTP, on Hummingbird 2.
///
/// One process loads the base model once; every version (a branch, a tag, a commit) is its adapter state
/// rebuilt from the repo over that one model. Route groups: the OpenAI-compatible API (`/v1/…`,
/// `OpenAIRoutes`), the operator's (`/health`, `/metrics`) and the review pages (`ReviewRoutes`: HTML for
/// people). Only the review pages write to the repo, through the workspace's landing path, and only with the
/// access token (`ServerConfiguration.writeToken`).
public final class ElderServer: Sendable {
    public let configuration: ServerConfiguration
    public let repoPath: String
    let model: LoadedModel
    let library: VersionLibrary
    let engine: GenerationEngine
    let metrics = ServerMetrics()
    let logger: Logger
    /// The review pages' workspaces: one reads, one writes (one write at a time).
    let reviewReader: RepositoryWorker
    let reviewWriter: RepositoryWorker
    let writeGuard: WriteGuard
    let pages: PageRenderer

    /// Opens the knowledge repo at `repoPath` with `model` (which must be the repo's). Nothing is served
    /// until `run`.
    public init(repoPath: String, model: LoadedModel, configuration: ServerConfiguration = ServerConfiguration(),
                logger: Logger = Logger(label: "elder.serve")) throws {
        self.configuration = configuration
        self.repoPath = repoPath
        self.model = model
        self.logger = logger
        // Two workspaces over one model: names resolve while a version rebuilds. The store keeps few states
        // of its own (the version cache is the bound that counts), two for the rebuilder: a branch that
        // moved by one commit rebuilds from its old tip.
        library = VersionLibrary(resolver: try Workspace.open(at: repoPath, model: model, storeCacheCapacity: 1),
                                 builder: try Workspace.open(at: repoPath, model: model, storeCacheCapacity: 2),
                                 cacheBytes: configuration.cacheBytes, metrics: metrics)
        engine = GenerationEngine(model: model, configuration: configuration, metrics: metrics)
        reviewReader = RepositoryWorker(label: "review-read", workspace: try Workspace.open(at: repoPath, model: model, storeCacheCapacity: 2))
        reviewWriter = RepositoryWorker(label: "review-write", workspace: try Workspace.open(at: repoPath, model: model, storeCacheCapacity: 2))
        writeGuard = WriteGuard(token: configuration.writeToken)
        pages = PageRenderer(library: try ReviewTemplates.library())
    }

    /// The routes of both groups behind the error, log and metrics middleware.
    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: APIMiddleware(metrics: metrics, maxBodyBytes: configuration.maxBodyBytes))
        OperationsRoutes(library: library, metrics: metrics, repoPath: repoPath,
                         modelFile: (model.path as NSString).lastPathComponent).add(to: router)
        OpenAIRoutes(library: library, engine: engine, model: model, configuration: configuration, metrics: metrics).add(to: router)
        ReviewRoutes(reader: reviewReader, writer: reviewWriter, guardian: writeGuard, renderer: pages,
                     maxBodyBytes: configuration.maxBodyBytes, logger: logger).add(to: router)
        return router
    }

    /// Serves until one of `shutdownSignals` arrives (then stops accepting, lets the requests in flight
    /// finish, and returns) or the calling task is cancelled. `onListening` gets the port once bound.
    public func run(shutdownSignals: [UnixSignal] = [.sigterm, .sigint],
                    onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let logger = self.logger
        let app = Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                                    serverName: "elder/\(Elder.version)"),
            services: [engine],
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening", metadata: ["host": "\(self.configuration.host)", "port": "\(port)",
                                                    "repo": "\(self.repoPath)", "model": "\(self.model.path)"])
                onListening(port)
            },
            logger: logger)
        try await app.runService(gracefulShutdownSignals: shutdownSignals)
    }
}
