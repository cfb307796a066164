import Dispatch
import Elder

/// A workspace used from one serial queue: libgit2 handles and the workspace's caches are not thread-safe,
/// and reading a repo blocks, so callers await the work instead of running it on Swift's cooperative threads.
final class RepositoryWorker: @unchecked Sendable {
    private let queue: DispatchQueue
    private let workspace: Workspace

    init(label: String, workspace: Workspace) {
        queue = DispatchQueue(label: "elder.serve." + label)
        self.workspace = workspace
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (Workspace) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body(self.workspace) }) }
        }
    }
}

/// Runs blocking work (tokenizing a long prompt, encoding a large answer) on a Dispatch thread, off the
/// cooperative threads that serve other requests.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
