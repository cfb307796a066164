import Foundation

/// A knowledge repository: a bare git repository whose commits each hold one edit — the adapter
/// delta, the router change, the live edit records, the codebook and, now and then (KeyframePolicy), a keyframe —
/// and from which any version's exact adapter state can be rebuilt. Format: FORMAT.md.
///
/// One instance is not thread-safe (it owns a libgit2 repository and caches); several processes
/// may use one repo at once: commits are serialized by a lock file and a compare-and-swap on the branch.
public final class KnowledgeStore: @unchecked Sendable {
    public let repository: Repository
    public let options: StoreOptions
    /// The workspace's own section of `elder.json` (a JSON object).
    public let workspaceConfigJSON: [UInt8]
    public var grid: Grid { options.grid }
    /// What a version read from this repo may hold (git config `elder.max*`; `ReadLimits`).
    public var limits: ReadLimits
    /// Every tensor a version may hold, with its shape, when the caller knows its adapter (the workspace does,
    /// from the model and the editor configuration): a pack naming anything else is refused from its header.
    public var schema: [String: [Int]]?

    var stateCache: RebuildCache
    var treeStateCache: RebuildCache
    let zstd = ZstdContext()
    var blobCache: [ObjectID: [String: GridTensor]] = [:]
    var blobCacheBytes = 0
    let maxBlobCacheBytes: Int
    /// The float tensor last converted under each name, with the units it came from (`floats(_:)`): versions
    /// rebuilt by this store share the buffers of the tensors they hold alike. Empty when the store keeps no states.
    var lastConverted: [String: (units: GridTensor, floats: StoredTensor)] = [:]
    /// Delta bytes since its keyframe, by commit; keyframe sum bytes, by tree (KeyframePolicy).
    var replayCache: [ObjectID: Int] = [:]
    var sumBytesCache: [ObjectID: Int] = [:]

    private init(repository: Repository, options: StoreOptions, workspace: [UInt8], cacheCapacity: Int,
                 limits: ReadLimits = ReadLimits()) {
        self.repository = repository
        self.limits = limits
        self.options = options
        self.workspaceConfigJSON = workspace
        self.stateCache = RebuildCache(capacity: cacheCapacity)
        self.treeStateCache = RebuildCache(capacity: cacheCapacity)
        self.maxBlobCacheBytes = cacheCapacity > 0 ? 64 << 20 : 0
    }

    /// Opens the knowledge repo at `path` (its git dir), reading `elder.json` from HEAD (or from `commit`: a
    /// server's repo whose HEAD names no commit yet). `cacheCapacity` is how many rebuilt commit states, and how
    /// many keyframe states, it keeps for later rebuilds (a full state each); 0 keeps none and no decoded packs
    /// either, for a process that rebuilds one version once (`elder ask`). `objectDirectories` are further
    /// object folders to read (git's quarantine of a push under way, for a pre-receive hook).
    public static func open(at path: String, cacheCapacity: Int = 8, commit: ObjectID? = nil,
                            objectDirectories: [String] = []) throws -> KnowledgeStore {
        let repository = try Repository.open(at: path)
        for folder in objectDirectories { try repository.addObjectDirectory(folder) }
        guard let head = try commit ?? repository.headCommit() else { throw StoreError.notAKnowledgeRepo(path) }
        let tree = try Commit.lookup(head, in: repository).tree()
        guard let entry = tree.entry(named: RepoFormat.elderJSON), entry.kind == .blob else {
            throw StoreError.notAKnowledgeRepo(path)
        }
        let (options, workspace) = try RepoFormat.parseElderJSON(try repository.readVerifiedBlob(entry.id, maxBytes: RepoFormat.maxJSONBytes))
        let workspaceJSON = try JSONSerialization.data(withJSONObject: workspace, options: [.sortedKeys])
        return KnowledgeStore(repository: repository, options: options, workspace: Array(workspaceJSON),
                              cacheCapacity: cacheCapacity, limits: try ReadLimits.configured(in: repository))
    }

    /// Creates a bare knowledge repo at `path` with branch `main` holding the root commit: the
    /// initial state (rounded onto the grid) as depth 0 and keyframe. Returns the store and the commit.
    public static func create(at path: String, options: StoreOptions = StoreOptions(), workspaceConfigJSON: [UInt8] = Array("{}".utf8),
                              initial: StoredState, message: String = "Initial adapter state",
                              author: Signature? = nil, cacheCapacity: Int = 8) throws -> (KnowledgeStore, CommitResult) {
        try options.validate()
        // Who the root commit is by, known before anything is written (a repo-local config does not exist yet).
        let author = try author ?? Repository.defaultIdentity(.author)
        let committer = try Repository.defaultIdentity(.committer)
        if let contents = try? FileManager.default.contentsOfDirectory(atPath: path), !contents.isEmpty {
            throw StoreError.alreadyExists(path)
        }
        guard let workspace = try? JSONSerialization.jsonObject(with: Data(workspaceConfigJSON)) as? [String: Any] else {
            throw StoreError.invalidArgument("workspace configuration must be a JSON object")
        }
        try validateNames(StoredState(tensors: initial.tensors, routers: initial.routers))
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let repository = try Repository.create(at: path, bare: true, initialBranch: "main")
        // Bare repos keep no reflog by default; a knowledge repo does, so a branch moved by mistake
        // (`elder reset`, a forced branch) can be found again with `git reflog`.
        try repository.setConfigValue("core.logAllRefUpdates", "true")
        let store = KnowledgeStore(repository: repository, options: options, workspace: workspaceConfigJSON,
                                   cacheCapacity: cacheCapacity)
        let snapped = Compactor.snap(initial, to: options.grid)
        let units = try snapped.units(on: options.grid)
        // Generated tensors (`options.generatedRoot`) are part of the root state but not of its packs.
        var full = units
        if let generated = try options.generatedRoot?.state() {
            if let name = generated.tensors.keys.first(where: { initial.tensors[$0] != nil || initial.routers[$0] != nil }) {
                throw StoreError.invalidArgument("tensor \(name) is both generated and given in the initial state")
            }
            try full.add(generated)
        }
        let hash = StateHash.compute(full, on: options.grid)

        var bytes = 0
        let root = try TreeBuilder(repository: repository)
        try root.insertBlob(RepoFormat.elderJSON, try repository.writeBlob(try RepoFormat.elderJSON(options: options, workspace: workspace)))
        try root.setTree(RepoFormat.deltaDir, try store.writePackTree(units.tensors, name: KnowledgeStore.adapterPack, bytes: &bytes))
        try root.setTree(RepoFormat.routerDir, try store.writePackTree(units.routers, name: KnowledgeStore.routerPack, bytes: &bytes))
        let keyframe = try TreeBuilder(repository: repository)
        try keyframe.insertBlob(RepoFormat.keyframeMeta, try repository.writeBlob(store.keyframeMetaJSON(depth: 0, stateHash: hash)))
        // The root state's blobs are the delta's blobs (same bytes): git stores them once.
        var ignored = 0
        guard let rootTree = try store.writeGroupTree(units, bytes: &ignored) else {
            throw StoreError.invalidArgument("the initial state has no tensors")
        }
        try keyframe.insertTree(RepoFormat.keyframeRoot, rootTree)
        try root.insertTree(RepoFormat.keyframeDir, try keyframe.write())
        let message = composeMessage(message, edit: nil, trailers: [], depth: 0, hash: hash)
        let id = try Commit.create(in: repository, updateRef: "refs/heads/main", author: author,
                                   committer: committer,
                                   message: message, tree: try root.write(), parents: [])
        store.stateCache.put(id, full)
        return (store, CommitResult(id: id, depth: 0, stateHash: hash, isKeyframe: true, tensorBytes: bytes))
    }

    // MARK: compaction

    /// The committed form of a trained state (changed tensors only) relative to `parent`'s state:
    /// the editor calls this before measuring an edit, then commits exactly what it returns.
    public func compact(trained: StoredState, parent: ObjectID, carry: inout CompactionCarry) throws -> StoredState {
        let parentState = try gridState(of: parent)
        func pick(_ names: Dictionary<String, StoredTensor>.Keys, _ from: [String: GridTensor]) -> [String: StoredTensor] {
            var out: [String: StoredTensor] = [:]
            for name in names {
                if let t = from[name] { out[name] = StoredTensor(shape: t.shape, values: t.units.map(grid.value)) }
            }
            return out
        }
        let parentFloats = StoredState(tensors: pick(trained.tensors.keys, parentState.tensors),
                                        routers: pick(trained.routers.keys, parentState.routers))
        return try Compactor.compact(trained: trained, parent: parentFloats, grid: grid, options: options.compaction, carry: &carry)
    }

    // MARK: commit

    /// Writes one commit and moves `request.branch` to it, atomically: blobs, trees and the commit are
    /// written first; the branch moves last and only if it still points at `request.parents[0]`
    /// (else `StoreError.staleParent`, with nothing changed but unreachable objects).
    public func commit(_ request: CommitRequest) throws -> CommitResult {
        let changed = StoredState(tensors: request.tensors, routers: request.routers)
        try Self.validateNames(changed)
        for edit in request.addedEdits + (request.edit.map { [$0] } ?? []) { try Names.check(edit.id, kind: "edit id") }
        for id in request.removedEdits { try Names.check(id, kind: "edit id") }
        for t in request.trailers {
            guard Names.isValidTrailerKey(t.key), !t.key.lowercased().hasPrefix("elder-"),
                  !t.value.contains("\n"), t.value.utf8.count <= 1000 else {
                throw StoreError.invalidArgument("invalid trailer '\(t.key): \(t.value)' (Elder-* keys are the store's)")
            }
        }
        let refName = "refs/heads/" + request.branch
        guard Repository.isValidReferenceName(refName) else { throw StoreError.invalidName(kind: "branch", name: request.branch) }
        guard let firstParent = request.parents.first, Set(request.parents).count == request.parents.count else {
            throw StoreError.invalidArgument("a commit needs distinct parents, the first being the branch tip")
        }
        let newUnits = try changed.units(on: grid)

        let lock = try FileLock(path: repository.gitDirectory + "elder.lock")
        defer { lock.unlock() }
        let tip = try repository.referenceTarget(refName)
        guard tip == firstParent else { throw StoreError.staleParent(branch: request.branch, expected: firstParent, actual: tip) }
        for extra in request.parents.dropFirst() { _ = try Commit.lookup(extra, in: repository) }

        let parentInfo = try info(of: firstParent)
        let parentState = try gridState(of: firstParent)
        let parentTree = try Commit.lookup(firstParent, in: repository).tree()
        for name in newUnits.tensors.keys where parentState.routers[name] != nil { throw StoreError.duplicateName(name) }
        for name in newUnits.routers.keys where parentState.tensors[name] != nil { throw StoreError.duplicateName(name) }

        var delta = GridState()
        delta.tensors = try Self.changes(newUnits.tensors, from: parentState.tensors)
        delta.routers = try Self.changes(newUnits.routers, from: parentState.routers)
        var newState = parentState
        try newState.add(delta)
        let hash = StateHash.compute(newState, on: grid)
        let depth = parentInfo.depth + 1

        var bytes = 0
        let root = try TreeBuilder(repository: repository, base: parentTree)
        try root.setTree(RepoFormat.deltaDir, try writePackTree(delta.tensors, name: Self.adapterPack, bytes: &bytes))
        try root.setTree(RepoFormat.routerDir, try writePackTree(delta.routers, name: Self.routerPack, bytes: &bytes))
        let previous = try readKeyframe(tree: parentTree)
        let isKeyframe = try writesKeyframe(depth: depth, parent: firstParent, carried: previous, deltaBytes: bytes)
        let added = request.addedEdits + (request.edit.map { [$0] } ?? [])
        if !added.isEmpty || !request.removedEdits.isEmpty {
            try root.setTree(RepoFormat.editsDir, try writeEditsTree(parent: parentTree, added: added, removed: request.removedEdits))
        }
        if let codebook = request.codebook { try root.setTree(RepoFormat.codebookDir, try writeCodebookTree(codebook)) }
        if isKeyframe {
            var budget = newBudget()
            let rootState = try keyframeState(KeyframeRef(depth: 0, root: previous.root, sum: nil), budget: &budget)
            let sum = try newState.difference(from: rootState)
            let keyframe = try TreeBuilder(repository: repository)
            try keyframe.insertBlob(RepoFormat.keyframeMeta, try repository.writeBlob(keyframeMetaJSON(depth: depth, stateHash: hash)))
            try keyframe.insertTree(RepoFormat.keyframeRoot, previous.root)
            if let sumTree = try writeKeyframeSumTree(sum, previous: previous.sum, bytes: &bytes) {
                try keyframe.insertTree(RepoFormat.keyframeSum, sumTree)
            }
            try root.insertTree(RepoFormat.keyframeDir, try keyframe.write())
        }
        let message = Self.composeMessage(request.message, edit: request.edit?.id, trailers: request.trailers, depth: depth, hash: hash)
        let author = try request.author ?? repository.identity(.author)
        let committer = try request.committer ?? repository.identity(.committer)
        let id = try createCommitMovingRef(refName, branch: request.branch, author: author, committer: committer,
                                           message: message, tree: try root.write(), parents: request.parents)
        stateCache.put(id, newState)
        return CommitResult(id: id, depth: depth, stateHash: hash, isKeyframe: isKeyframe, tensorBytes: bytes)
    }

    /// `git_commit_create` with the branch as update ref (compare-and-swap on the first parent).
    /// A ref lock file left by a killed writer is removed: while we hold `elder.lock` no Elder writer
    /// can own it, and a git process holds a ref lock for milliseconds, so one older than 2 s is stale.
    private func createCommitMovingRef(_ refName: String, branch: String, author: Signature, committer: Signature,
                                       message: String, tree: ObjectID, parents: [ObjectID]) throws -> ObjectID {
        var attempts = 0
        while true {
            do {
                return try Commit.create(in: repository, updateRef: refName, author: author, committer: committer,
                                         message: message, tree: tree, parents: parents)
            } catch let error as GitError where error.code == .modified {
                throw StoreError.staleParent(branch: branch, expected: parents.first, actual: try repository.referenceTarget(refName))
            } catch let error as GitError where error.code == .locked && attempts < 40 {
                attempts += 1
                let lockPath = repository.gitDirectory + refName + ".lock"
                let attributes = try? FileManager.default.attributesOfItem(atPath: lockPath)
                if let modified = attributes?[.modificationDate] as? Date, Date().timeIntervalSince(modified) > 2 {
                    try? FileManager.default.removeItem(atPath: lockPath)
                } else {
                    usleep(100_000)
                }
            }
        }
    }

    /// Tensors of `new` that differ from `old`, as unit differences; tensors new to the state are kept whole.
    static func changes(_ new: [String: GridTensor], from old: [String: GridTensor]) throws -> [String: GridTensor] {
        var out: [String: GridTensor] = [:]
        for (name, t) in new {
            guard let o = old[name] else { out[name] = t; continue }
            guard o.shape == t.shape else { throw StoreError.shapeMismatch(name: name, expected: o.shape, got: t.shape) }
            var units = [Int32](repeating: 0, count: t.units.count)
            var any = false
            for i in 0..<units.count {
                units[i] = t.units[i] &- o.units[i]
                if units[i] != 0 { any = true }
            }
            if any { out[name] = GridTensor(shape: t.shape, units: units) }
        }
        return out
    }

    static func validateNames(_ state: StoredState) throws {
        for name in state.tensors.keys { try Names.check(name, kind: "tensor") }
        for name in state.routers.keys {
            try Names.check(name, kind: "router tensor")
            if state.tensors[name] != nil { throw StoreError.duplicateName(name) }
        }
        for t in Array(state.tensors.values) + Array(state.routers.values) {
            guard (1...TensorCodec.maxRank).contains(t.shape.count), t.shape.allSatisfy({ $0 >= 1 }),
                  t.count <= TensorCodec.maxElements else {
                throw StoreError.invalidArgument("unsupported tensor shape \(t.shape)")
            }
        }
    }

    static func composeMessage(_ message: String, edit: String?, trailers: [Trailer], depth: Int, hash: String) -> String {
        var text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { text = "(no message)" }
        var lines: [String] = []
        if let edit { lines.append("\(RepoFormat.trailerEdit): \(edit)") }
        lines += trailers.map { "\($0.key): \($0.value)" }
        lines.append("\(RepoFormat.trailerDepth): \(depth)")
        lines.append("\(RepoFormat.trailerState): \(RepoFormat.statePrefix)\(hash)")
        lines.append("\(RepoFormat.trailerFormat): \(RepoFormat.version)")
        return text + "\n\n" + lines.joined(separator: "\n") + "\n"
    }
}
