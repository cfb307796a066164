import ElderEditing
import ElderModel
import ElderStore
import Foundation

/// Clone, push and pull of knowledge repos through libgit2, over any transport it speaks (local paths,
/// file://, git://, ssh, https). A knowledge repo is a bare git repository, so pull moves a branch ref:
/// there is no work tree to update. Every version a pull or clone brings in is rebuilt and checked
/// against its recorded state hash before the branch moves.
public enum KnowledgeRemotes {
    /// What `clone` made.
    public struct CloneResult: Sendable {
        public var path: String
        public var head: ObjectID
        public var branch: String?
        public var stateHash: String
        public var liveEdits: Int
        /// The model file this clone will open with (`--model`, or the model cache), or nil when this
        /// machine has no file with the repo's name: then pass `--model` to commands.
        public var modelPath: String?
        public var model: ModelIdentity
    }

    /// Clones `url` into `path` as a bare knowledge repo. With `modelPath`, the model must have the repo's
    /// SHA-256 and is recorded in the clone's local config (`elder.model`, as `elder init` does); without
    /// it, the model cache's file of the repo's name is used when present (the origin's local model path
    /// is machine-local and not cloned). Nothing is left behind when the source is not a knowledge repo.
    public static func clone(from url: String, to path: String, modelPath: String? = nil) throws -> CloneResult {
        let fm = FileManager.default
        let existed = fm.fileExists(atPath: path)
        if existed, let contents = try? fm.contentsOfDirectory(atPath: path), !contents.isEmpty {
            throw RemoteError.destinationNotEmpty(path)
        }
        // The model is checked first, so a wrong `--model` leaves nothing to clean up.
        let model = try modelPath.map { try LoadedModel.load($0) }
        let repository = try Repository.clone(from: url, to: path, bare: true)
        do {
            try repository.setConfigValue("core.logAllRefUpdates", "true")  // as `KnowledgeStore.create`
            try adoptDefaultBranch(repository)
            let store: KnowledgeStore
            let config: WorkspaceConfig
            do {
                store = try KnowledgeStore.open(at: repository.gitDirectory)
                config = try WorkspaceConfig.decode(store.workspaceConfigJSON)
            } catch {
                throw RemoteError.notAKnowledgeRepo(url: url, reason: "\(error)")
            }
            guard let head = try repository.headCommit() else { throw RemoteError.notAKnowledgeRepo(url: url, reason: "it has no commits") }
            let state = try verify(store, tip: head, excluding: [], config: config)
            var found: String?
            if let model {
                _ = try Workspace.open(at: store.repository.gitDirectory, model: model)  // same SHA-256, or modelMismatch
                found = URL(fileURLWithPath: model.path).standardizedFileURL.path
                try repository.setConfigValue(Workspace.modelPathKey, found!)
            } else {
                let cached = ModelLocator.defaultModelsFolder() + "/" + config.model.fileName
                if fm.fileExists(atPath: cached) { found = cached }
            }
            return CloneResult(path: trimmedPath(repository.gitDirectory), head: head, branch: try repository.currentBranch(),
                               stateHash: state.sha256, liveEdits: try store.liveEdits(at: head).count,
                               modelPath: found, model: config.model)
        } catch {
            if existed {
                for item in (try? fm.contentsOfDirectory(atPath: path)) ?? [] { try? fm.removeItem(atPath: path + "/" + item) }
            } else {
                try? fm.removeItem(atPath: path)
            }
            throw error
        }
    }

    /// Checks what a clone or pull brings before any ref moves: every new commit (reachable from `tip`, not
    /// from `excluding`) is an Elder commit with this repo's `elder.json` whose delta packs declare only the
    /// adapter's tensors within the read limits (headers, not payloads), and `tip` is rebuilt (state hash) and
    /// its codebook decoded against the editor's bounds. With `everyState`, every new commit is rebuilt, oldest
    /// first, its state hash checked and its delta compared with its state minus its parent's (a server refusing
    /// tampered pushes: a changed blob below the tip's keyframe would not show in the tip's state). Returns the
    /// tip's state.
    static func verify(_ store: KnowledgeStore, tip: ObjectID, excluding: [ObjectID], config: WorkspaceConfig,
                       everyState: Bool = false) throws -> StoredState {
        store.schema = config.adapterShapes()
        let tree = try Commit.lookup(tip, in: store.repository).tree()
        let elderJSON = tree.entry(named: "elder.json")?.id
        let limit = store.limits.newCommits
        let commits = try store.repository.log(from: tip, excluding: excluding, limit: limit + 1)
        guard commits.count <= limit else {
            throw StoreError.invalidArgument("\(tip.short) brings more than \(limit) new commits (git config elder.maxNewCommits): "
                + "send it in parts (push OLDER-COMMIT:refs/heads/BRANCH first), or if you trust it, raise it: git config elder.maxNewCommits N")
        }
        for commit in commits {
            _ = try store.info(of: commit)
            guard try Commit.lookup(commit, in: store.repository).tree().entry(named: "elder.json")?.id == elderJSON else {
                throw StoreError.corrupt(what: "commit \(commit.short)", reason: "its elder.json differs from the tip's")
            }
            try store.checkDelta(of: commit)
        }
        if everyState {
            for commit in commits.reversed() {
                _ = try store.gridState(of: commit)
                try store.checkDeltaMatchesStates(of: commit)
            }
        }
        let state = try store.state(of: tip)
        do {
            _ = try MemoryCodec.decode(try store.codebook(at: tip), bounds: MemoryBounds(configuration: config.editor, model: config.model.architecture))
        } catch let error as MemoryCodecError {
            throw WorkspaceError.invalidMemory("commit \(tip.short): \(error.reason)")
        }
        return state
    }

    /// A server repo made with `git init --bare` may keep HEAD on an unborn `master` while the knowledge
    /// lives on `main`: the clone's HEAD then goes to `main` (else the first branch the remote has).
    static func adoptDefaultBranch(_ repository: Repository) throws {
        guard try repository.headCommit() == nil else { return }
        let branches = try repository.references(matching: "refs/remotes/origin/*")
            .filter { $0.target != nil && !$0.name.hasSuffix("/HEAD") }
            .map { (name: String($0.name.dropFirst("refs/remotes/origin/".count)), target: $0.target!) }
        guard let chosen = branches.first(where: { $0.name == "main" }) ?? branches.min(by: { $0.name < $1.name }) else { return }
        try repository.createBranch(chosen.name, at: chosen.target)
        try repository.setHead("refs/heads/" + chosen.name)
    }

    /// What `push` did.
    public struct PushResult: Sendable {
        public var remote: String
        public var branch: String
        public var commit: ObjectID
        /// The remote's branch before the push (nil: the push created it), as far as this repo knew.
        public var previous: ObjectID?
        public var upToDate: Bool
    }

    /// Pushes `branch` to the same branch of `remote` (a configured remote's name, or a URL). Only a
    /// fast-forward is pushed: when the remote has commits this repo lacks, `RemoteError.pushRejected`
    /// says to pull first.
    public static func push(_ store: KnowledgeStore, remote: String, branch: String) throws -> PushResult {
        let repository = store.repository
        guard let tip = try store.tip(of: branch) else { throw RemoteError.noSuchLocalBranch(branch) }
        let handle = try remoteHandle(remote, in: repository)
        let tracking = try handle.name.isEmpty ? nil : repository.referenceTarget("refs/remotes/\(handle.name)/\(branch)")
        do {
            try handle.push(refspecs: ["refs/heads/\(branch):refs/heads/\(branch)"])
        } catch let error as GitError where error.code == .nonFastForward {
            throw RemoteError.pushRejected(remote: remote, branch: branch, reason: error.message)
        }
        if !handle.name.isEmpty {
            try? repository.setReference("refs/remotes/\(handle.name)/\(branch)", to: tip, force: true, logMessage: "elder push")
        }
        return PushResult(remote: remote, branch: branch, commit: tip, previous: tracking, upToDate: tracking == tip)
    }

    /// What `pull` did.
    public struct PullResult: Sendable {
        public enum Outcome: String, Sendable, Codable {
            /// The branch already holds the remote's tip.
            case upToDate = "up-to-date"
            /// The branch has everything the remote has, and more (push to share it).
            case ahead
            /// The branch moved forward to the remote's tip.
            case fastForward = "fast-forward"
            /// The branch did not exist here and was created at the remote's tip.
            case created
            /// Both sides had new commits: `merge` joined them (a merge commit, maybe a repair commit after it).
            case merged
        }
        public var outcome: Outcome
        public var remote: String
        public var branch: String
        public var from: ObjectID?
        public var to: ObjectID
        /// Commits the pull brought onto the branch (the remote's new commits; for a merge, not the merge itself).
        public var newCommits: Int
        /// How the fetched branch can be named (`origin/main`, or `refs/elder/fetched/main` for a URL).
        public var fetched: String
        public var stateHash: String
    }

    /// Fetches `branch` from `remote` (a configured remote's name, or a URL) into `refs/remotes/<remote>/<branch>`
    /// (for a URL: `refs/elder/fetched/<branch>`) and
    /// fast-forwards the local branch to it. Diverged histories are `RemoteError.diverged` (merge them with
    /// `elder merge <remote>/<branch>`, or pass `merge`); the remote's tip is rebuilt and its state hash checked before the
    /// branch moves, and the move is a compare-and-swap against the tip read before the fetch.
    ///
    /// With `merge`, diverged histories are joined instead: it is called with the fetched branch's name (a
    /// revision, e.g. `origin/main`) after the remote's tip passed the same checks, and returns the branch's
    /// new tip and its state hash (the CLI passes `Workspace.merge`).
    public static func pull(_ store: KnowledgeStore, remote: String, branch: String,
                            merge: ((_ fetched: String) throws -> (tip: ObjectID, stateHash: String))? = nil) throws -> PullResult {
        let repository = store.repository
        let handle = try remoteHandle(remote, in: repository)
        // A configured remote's branch lands in its remote-tracking ref; a URL's in Elder's own namespace.
        let trackingRef = handle.name.isEmpty ? "refs/elder/fetched/\(branch)" : "refs/remotes/\(remote)/\(branch)"
        let fetched = handle.name.isEmpty ? trackingRef : "\(remote)/\(branch)"
        // Fetched first into a quarantine ref, through an anonymous remote (a named one would also update its
        // tracking refs): no ref a person sees moves until what came is verified.
        let quarantine = "refs/elder/incoming/\(branch)"
        try Remote.anonymous(url: handle.url, in: repository).fetch(refspecs: ["+refs/heads/\(branch):\(quarantine)"])
        guard let theirs = try repository.referenceTarget(quarantine) else {
            throw RemoteError.noSuchRemoteBranch(remote: remote, branch: branch)
        }
        let ours = try store.tip(of: branch)
        if let ours, ours != theirs, try !repository.isDescendant(ours, of: theirs), try repository.mergeBase(ours, theirs) == nil {
            try? repository.deleteReference(quarantine)
            throw RemoteError.unrelated(remote: remote, branch: branch)
        }
        var verified: String?
        do {
            let config = try WorkspaceConfig.decode(try store.workspaceConfigJSON(at: theirs))
            let mine = try WorkspaceConfig.decode(store.workspaceConfigJSON)
            guard config.model == mine.model else {
                throw RemoteError.differentModel(remote: remote, theirs: config.model.fileName, ours: mine.model.fileName)
            }
            let known = try [ours].compactMap { $0 } + repository.references(matching: "refs/heads/*").compactMap(\.target)
            verified = try verify(store, tip: theirs, excluding: known, config: mine).sha256
        } catch {
            try? repository.deleteReference(quarantine)
            if error is RemoteError { throw error }
            throw RemoteError.refused(remote: remote, branch: branch, reason: "\(error)")
        }
        try repository.setReference(trackingRef, to: theirs, force: true, logMessage: "elder pull \(remote) \(branch): verified")
        try? repository.deleteReference(quarantine)
        func checked(_ commit: ObjectID) throws -> String {
            if let verified { return verified }
            return try store.state(of: commit).sha256
        }
        guard let ours else {
            let hash = try checked(theirs)
            try repository.setReference("refs/heads/\(branch)", to: theirs, logMessage: "elder pull \(remote) \(branch): created")
            return PullResult(outcome: .created, remote: remote, branch: branch, from: nil, to: theirs,
                              newCommits: try repository.log(from: theirs).count, fetched: fetched, stateHash: hash)
        }
        let contained = try ours == theirs || repository.isDescendant(ours, of: theirs)
        if contained {
            return PullResult(outcome: ours == theirs ? .upToDate : .ahead, remote: remote, branch: branch, from: ours, to: ours,
                              newCommits: 0, fetched: fetched, stateHash: try store.info(of: ours).stateHash)
        }
        guard try repository.isDescendant(theirs, of: ours) else {
            guard try repository.mergeBase(ours, theirs) != nil else { throw RemoteError.unrelated(remote: remote, branch: branch) }
            let (ahead, behind) = try repository.aheadBehind(ours, theirs)
            guard let merge else {
                throw RemoteError.diverged(remote: remote, branch: branch, local: ahead, remoteCount: behind, fetched: fetched)
            }
            _ = try checked(theirs)
            let merged = try merge(fetched)
            return PullResult(outcome: .merged, remote: remote, branch: branch, from: ours, to: merged.tip, newCommits: behind,
                              fetched: fetched, stateHash: merged.stateHash)
        }
        let hash = try checked(theirs)
        let count = try repository.aheadBehind(theirs, ours).ahead
        do {
            try repository.setReference("refs/heads/\(branch)", to: theirs, expected: ours,
                                        logMessage: "elder pull \(remote) \(branch): fast-forward")
        } catch let error as GitError where error.code == .modified {
            throw RemoteError.branchMoved(branch)
        }
        return PullResult(outcome: .fastForward, remote: remote, branch: branch, from: ours, to: theirs, newCommits: count,
                          fetched: fetched, stateHash: hash)
    }

    /// A configured remote by name, or an anonymous one when `nameOrURL` looks like a URL or a path.
    static func remoteHandle(_ nameOrURL: String, in repository: Repository) throws -> Remote {
        if (try repository.remoteNames()).contains(nameOrURL) { return try Remote.lookup(nameOrURL, in: repository) }
        if nameOrURL.contains("/") || nameOrURL.contains(":") { return try Remote.anonymous(url: nameOrURL, in: repository) }
        throw RemoteError.noSuchRemote(nameOrURL)
    }

    static func trimmedPath(_ p: String) -> String {
        var p = p
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }
}

/// Why a clone, push or pull did not happen, with what to do.
public enum RemoteError: Error, CustomStringConvertible, Sendable, Equatable {
    case destinationNotEmpty(String)
    case notAKnowledgeRepo(url: String, reason: String)
    case noSuchRemote(String)
    case noSuchLocalBranch(String)
    case noSuchRemoteBranch(remote: String, branch: String)
    case pushRejected(remote: String, branch: String, reason: String)
    case diverged(remote: String, branch: String, local: Int, remoteCount: Int, fetched: String)
    case unrelated(remote: String, branch: String)
    case differentModel(remote: String, theirs: String, ours: String)
    case branchMoved(String)
    case refused(remote: String, branch: String, reason: String)

    /// Errors about what the user gave (exit 128) rather than an operation that failed (exit 1).
    public var isUsageError: Bool {
        switch self {
        case .destinationNotEmpty, .notAKnowledgeRepo, .noSuchRemote, .noSuchLocalBranch, .noSuchRemoteBranch: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case let .destinationNotEmpty(path):
            return "\(path) already exists and is not empty: clone into a new folder"
        case let .notAKnowledgeRepo(url, reason):
            return "\(url) is not an Elder knowledge repo (\(reason)): clone a repo made by `elder init`"
        case let .noSuchRemote(name):
            return "there is no remote '\(name)': give a URL, or add it with `git --git-dir=REPO remote add \(name) URL`"
        case let .noSuchLocalBranch(b):
            return "there is no branch \(b) here: list branches with `elder branch`"
        case let .noSuchRemoteBranch(remote, b):
            return "\(remote) has no branch \(b): push it first, or name another branch"
        case let .pushRejected(remote, b, reason):
            return "\(remote) refused \(b) (\(reason)): it has commits this repo lacks; `elder pull \(remote) \(b)` first, then push again"
        case let .diverged(remote, b, local, theirs, fetched):
            return "\(b) and \(remote)'s \(b) have diverged (\(local) local, \(theirs) remote commits) and --ff-only was given: "
                + "merge them with `elder merge \(fetched)` (fetched) or `elder pull` without --ff-only, then push"
        case let .unrelated(remote, b):
            return "\(b) and \(remote)/\(b) share no history: they are different knowledge repos"
        case let .differentModel(remote, theirs, ours):
            return "\(remote) is bound to model \(theirs), this repo to \(ours): knowledge repos of different models cannot be pulled together"
        case let .refused(remote, b, reason):
            return "refused \(remote)'s \(b), no ref moved: \(reason)"
        case let .branchMoved(b):
            return "\(b) moved while pulling (another elder command committed): run the pull again"
        }
    }
}
