import Elder
import ElderStore

/// A name a client can give as `model`: HEAD, a branch or a tag, and the commit it names now.
struct VersionName: Sendable, Equatable {
    enum Kind: String, Sendable { case head, branch, tag, revision }
    var name: String
    var kind: Kind
    var commit: ObjectID
    /// Commit time, seconds since 1970.
    var time: Int64
}

/// The versions the server answers from: names resolved against the repo on every request (so a branch
/// another process moves is served at its new tip at once), rebuilt states kept in a byte-bounded LRU
/// cache, and concurrent requests for one commit sharing one rebuild.
///
/// A name resolves through the branch or tag file that git replaces atomically after the commit's objects
/// are written, so a resolved commit is always complete; a version is rebuilt from that commit's objects
/// only (never from a ref again), so a request keeps the commit it resolved even if the branch moves.
actor VersionLibrary {
    private let resolver: RepositoryWorker
    private let builder: RepositoryWorker
    private var cache: VersionCache
    private var loading: [ObjectID: Task<ServedVersion, Error>] = [:]
    private let metrics: ServerMetrics

    /// `resolver` and `builder` are two workspaces of the same repo, so resolving a name never waits for a rebuild.
    init(resolver: Workspace, builder: Workspace, cacheBytes: Int, metrics: ServerMetrics) {
        self.resolver = RepositoryWorker(label: "resolve", workspace: resolver)
        self.builder = RepositoryWorker(label: "rebuild", workspace: builder)
        cache = VersionCache(limitBytes: cacheBytes)
        self.metrics = metrics
        metrics.versionCacheChanged(bytes: 0, entries: 0, limit: cacheBytes)
    }

    /// The version `name` (a branch, tag, commit id, `main~3`, …) names now. Throws
    /// `WorkspaceError.unknownRevision` when it names no commit.
    func version(named name: String) async throws -> ServedVersion {
        try await version(of: try await resolver.run { try $0.resolve(name) })
    }

    func version(of commit: ObjectID) async throws -> ServedVersion {
        if let hit = cache.get(commit) {
            metrics.versionCacheHit()
            return hit
        }
        if let pending = loading[commit] {
            metrics.versionCacheHit()
            return try await pending.value
        }
        metrics.versionCacheMiss()
        let builder = self.builder
        let task = Task { try await builder.run { try Self.build($0, commit) } }
        loading[commit] = task
        defer { loading[commit] = nil }
        let version = try await task.value
        let evicted = cache.insert(version)
        metrics.versionCacheEvicted(evicted.count)
        metrics.versionCacheChanged(bytes: cache.bytes, entries: cache.count, limit: cache.limitBytes)
        return version
    }

    /// HEAD, the branches and the tags, with the commits they name now.
    func names() async throws -> [VersionName] {
        try await resolver.run { workspace in
            let repository = workspace.store.repository
            func named(_ name: String, _ kind: VersionName.Kind, _ ref: String) throws -> VersionName? {
                guard let commit = try? repository.resolveCommit(ref) else { return nil }
                return VersionName(name: name, kind: kind, commit: commit, time: try Commit.lookup(commit, in: repository).time)
            }
            var out: [VersionName] = []
            if let head = try named("HEAD", .head, "HEAD") { out.append(head) }
            for branch in try repository.branches() { if let v = try named(branch, .branch, "refs/heads/" + branch) { out.append(v) } }
            for tag in try repository.tags() { if let v = try named(tag, .tag, "refs/tags/" + tag) { out.append(v) } }
            return out
        }
    }

    /// What `name` names now: its commit and whether it is HEAD, a branch, a tag or another revision.
    func describe(_ name: String) async throws -> VersionName {
        try await resolver.run { workspace in
            let commit = try workspace.resolve(name)
            let repository = workspace.store.repository
            let kind: VersionName.Kind = if name == "HEAD" { .head }
                else if (try? repository.referenceTarget("refs/heads/" + name)) ?? nil != nil { .branch }
                else if (try? repository.referenceTarget("refs/tags/" + name)) ?? nil != nil { .tag }
                else { .revision }
            return VersionName(name: name, kind: kind, commit: commit, time: try Commit.lookup(commit, in: repository).time)
        }
    }

    /// The commits whose versions are cached, most recently used first, and their bytes.
    func cached() -> (commits: [ObjectID], bytes: Int) { (cache.commits, cache.bytes) }

    private static func build(_ workspace: Workspace, _ commit: ObjectID) throws -> ServedVersion {
        let version = try workspace.rebuildVersion(of: commit)
        return ServedVersion(commit: commit, stateHash: version.stateHash, editor: try workspace.editor(for: version))
    }
}
