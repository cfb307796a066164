import Foundation
import Hummingbird

/// The operator's route group: `GET /health` (the server answers and HEAD resolves) and `GET /metrics`
/// (Prometheus text format).
struct OperationsRoutes: Sendable {
    let library: VersionLibrary
    let metrics: ServerMetrics
    let repoPath: String
    let modelFile: String

    struct Health: Encodable, Sendable {
        var status: String
        var repo: String
        var model: String
        var head: String?
        var versions_cached: Int
        var version_cache_bytes: Int
        var error: String?
    }

    func add(to router: Router<BasicRequestContext>) {
        router.get("health") { _, _ in await health() }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }

    func health() async -> Response {
        let cached = await library.cached()
        var health = Health(status: "ok", repo: repoPath, model: modelFile, versions_cached: cached.commits.count,
                            version_cache_bytes: cached.bytes)
        do {
            health.head = try await library.describe("HEAD").commit.hex
        } catch {
            health.status = "error"
            health.error = "HEAD does not resolve: \(error)"
            var response = json(health)
            response.status = .serviceUnavailable
            return response
        }
        return json(health)
    }
}
