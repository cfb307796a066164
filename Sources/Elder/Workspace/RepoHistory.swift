import ElderEditing
import ElderStore
import Foundation

/// The model-free half of a knowledge repo: history and references (log, show, branches, tags, HEAD).
///
/// Commands that only read or move refs use this instead of a `Workspace`, so they never load or hash the
/// base model. A `Workspace` answers the same questions through its `history`.
public struct RepoHistory {
    public let store: KnowledgeStore
    public var repository: Repository { store.repository }

    public init(store: KnowledgeStore) { self.store = store }

    /// Opens the knowledge repo at `path` (its git dir) without a model.
    public static func open(at path: String) throws -> RepoHistory {
        RepoHistory(store: try Workspace.openStore(at: path))
    }

    /// The commit a revision names (commit id or prefix, branch, tag, `HEAD~n`, …), or `unknownRevision`.
    public func resolve(_ revision: String) throws -> ObjectID {
        guard revision.utf8.count <= 1024 else { throw WorkspaceError.unknownRevision(revision) }
        do { return try repository.resolveCommit(revision) } catch let error as GitError
            where [.notFound, .ambiguous, .invalidSpec, .peel].contains(error.code) {
            throw WorkspaceError.unknownRevision(revision)
        }
    }

    // MARK: log and show

    /// Commits reachable from `revision`, newest first (topological, then time), at most `limit`;
    /// with `firstParent`, only the first-parent chain (what the branch itself went through, as
    /// `git log --first-parent`: a merge, not the side branch's commits).
    public func log(_ revision: String = "HEAD", limit: Int = .max, firstParent: Bool = false) throws -> [LogEntry] {
        try repository.log(from: try resolve(revision), firstParentOnly: firstParent, limit: limit).map(entry)
    }

    /// One commit as `log` lists it.
    public func entry(_ id: ObjectID) throws -> LogEntry {
        let commit = try Commit.lookup(id, in: repository)
        let info: CommitInfo
        do { info = try store.info(of: id) } catch StoreError.notAnElderCommit {
            // A commit made with plain git is listed as such (its depth and state hash unknown), not a failure.
            let summary = commit.message.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            return LogEntry(commit: id, parents: commit.parentIDs, depth: -1, editID: nil, summary: summary, message: commit.message,
                            metrics: [:], stateHash: "", author: commit.author, time: commit.time)
        }
        let metrics = info.trailers.filter { !$0.key.lowercased().hasPrefix("elder-") }
        let summary = info.message.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return LogEntry(commit: id, parents: info.parents, depth: info.depth,
                        editID: info.editID ?? (metrics[RevertTrailers.reverted] ?? metrics[RevertTrailers.restored])
                            .flatMap { $0.split(separator: " ").first.map(String.init) },
                        summary: summary, message: info.message, metrics: metrics, stateHash: info.stateHash,
                        author: commit.author, time: commit.time)
    }

    /// Names pointing at each commit, as git decorates a log: `HEAD -> main`, `main`, `tag: v1`.
    public func decorations() throws -> [ObjectID: [String]] {
        var out: [ObjectID: [String]] = [:]
        let head = try headPosition()
        if case let .detached(id) = head { out[id, default: []].append("HEAD") }
        for branch in try branches() {
            out[branch.tip, default: []].append(branch.isCurrent ? "HEAD -> \(branch.name)" : branch.name)
        }
        for tag in try tags() { out[tag.commit, default: []].append("tag: \(tag.name)") }
        return out
    }

    /// Everything `elder show` prints about a commit: the log entry, the edit it makes, reverts or restores
    /// (its record, with the metrics measured at commit time and the allocation), and the tensors it changed.
    public func details(of revision: String) throws -> CommitDetails {
        let id = try resolve(revision)
        let entry = try entry(id)
        var record: EditRecordBody?
        var role: CommitDetails.Role = entry.parents.isEmpty ? .root : (entry.parents.count > 1 ? .merge : .other)
        if let editID = entry.editID {
            let info = try store.info(of: id)
            if info.editID != nil || (entry.metrics[RevertTrailers.restored] != nil && entry.metrics[RevertTrailers.reverted] == nil) {
                role = info.editID != nil ? .edit : .restore
                record = try liveEdits(of: id).first { $0.id == editID }
            } else if let parent = entry.parents.first {
                role = .revert
                record = try liveEdits(of: parent).first { $0.id == editID }
            }
        }
        let delta = try store.delta(of: id).floats(on: store.grid)
        var changed: [CommitDetails.TensorChange] = []
        for (name, tensor) in delta.tensors.merging(delta.routers, uniquingKeysWith: { a, _ in a }) {
            var squares = 0.0, nonzero = 0
            for v in tensor.values where v != 0 { squares += Double(v) * Double(v); nonzero += 1 }
            guard nonzero > 0 || entry.parents.isEmpty else { continue }
            changed.append(.init(name: name, shape: tensor.shape, changedValues: nonzero,
                                 rms: (squares / Double(max(tensor.values.count, 1))).squareRoot()))
        }
        changed.sort { $0.name < $1.name }
        let config = try WorkspaceConfig.decode(store.workspaceConfigJSON)
        return CommitDetails(entry: entry, role: role, edit: record, adaptedLayers: config.editor.layers,
                             changedTensors: entry.parents.isEmpty ? [] : changed)
    }

    /// The edit records live at a revision, decoded.
    public func liveEdits(at revision: String = "HEAD") throws -> [EditRecordBody] {
        try liveEdits(of: try resolve(revision))
    }

    public func liveEdits(of commit: ObjectID) throws -> [EditRecordBody] {
        try store.liveEdits(at: commit).map(EditRecordBody.init(decoding:))
    }

    /// One edit's record at a commit, decoded (nil when that edit is not live there).
    public func editRecord(_ id: String, at commit: ObjectID) throws -> EditRecordBody? {
        try store.editRecord(id, at: commit).map(EditRecordBody.init(decoding:))
    }

    /// Ids of the edits live at the tip of `branch` (resuming a stream skips these).
    public func liveEditIDs(on branch: String) throws -> Set<String> {
        guard let tip = try store.tip(of: branch) else { throw WorkspaceError.noSuchBranch(branch) }
        return Set(try store.liveEdits(at: tip).map(\.id))
    }

    /// The same-prompt rule for `request` on `branch` (a prompt has one live answer): the live edits whose
    /// prompt is the request's after the normalization merge conflicts use (`MergeConflicts.normalized`),
    /// other than the request's own id. One with the request's target means nothing to do; the others
    /// are what the edit supersedes (normally at most one). Needs no model.
    public func editPlan(_ request: EditRequest, on branch: String) throws -> EditPlan {
        guard let tip = try store.tip(of: branch) else { throw WorkspaceError.noSuchBranch(branch) }
        return try editPlan(request, at: tip)
    }

    /// git config `elder.allowNotHolding` (repo-local or the person's own, never from a clone): whether an
    /// edit that does not hold is committed (marked `Allowed-Not-Holding`) instead of refused. Default false.
    public func allowsNotHolding() throws -> Bool {
        guard let value = try repository.configValue(Self.allowNotHoldingKey, anyLevel: true) else { return false }
        switch value.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0", "": return false
        default:
            throw WorkspaceError.invalidGitConfig(key: Self.allowNotHoldingKey, value: value, expected: "true or false")
        }
    }

    public static let allowNotHoldingKey = "elder.allowNotHolding"

    /// The same-prompt rule for `request` at the commit `tip`.
    public func editPlan(_ request: EditRequest, at tip: ObjectID) throws -> EditPlan {
        let key = MergeConflicts.normalized(request.prompt)
        let same = try liveEdits(of: tip).filter { $0.id != request.id && MergeConflicts.normalized($0.prompt) == key }
        if let live = same.first(where: { $0.target == request.target }) { return EditPlan(tip: tip, upToDate: live) }
        return EditPlan(tip: tip, supersedes: same)
    }

    /// Ids of the edits that an edit of the same prompt superseded in the history of `branch` (trailer
    /// `Supersedes`) and that are not live now: an edit stream rerun skips them, as it skips live ones.
    public func supersededEditIDs(on branch: String) throws -> Set<String> {
        guard let tip = try store.tip(of: branch) else { throw WorkspaceError.noSuchBranch(branch) }
        var out = Set<String>()
        for commit in try repository.log(from: tip) {
            for id in (try store.info(of: commit).trailers[SupersedeTrailers.supersedes] ?? "").split(separator: " ") {
                out.insert(String(id))
            }
        }
        return out.subtracting(try store.liveEdits(at: tip).map(\.id))
    }

    // MARK: HEAD, branches, tags

    /// Where HEAD is: on a branch, or detached at a commit.
    public func headPosition() throws -> HeadPosition {
        guard let commit = try repository.headCommit() else { throw StoreError.notAKnowledgeRepo(repository.gitDirectory) }
        if let branch = try repository.currentBranch() { return .branch(branch, commit) }
        return .detached(commit)
    }

    /// Local branches with their tips, sorted by name; the one HEAD names is marked current.
    public func branches() throws -> [BranchInfo] {
        let current = try repository.currentBranch()
        return try repository.references(matching: "refs/heads/*").compactMap { ref in
            guard let tip = ref.target else { return nil }
            let name = String(ref.name.dropFirst("refs/heads/".count))
            return BranchInfo(name: name, tip: tip, isCurrent: name == current)
        }
    }

    /// Creates branch `name` at `start` (HEAD by default). HEAD stays where it is.
    @discardableResult
    public func createBranch(_ name: String, at start: String = "HEAD") throws -> BranchInfo {
        guard RefError.isSafeName(name), Repository.isValidReferenceName("refs/heads/" + name) else { throw RefError.invalidName(kind: "branch", name: name) }
        guard try store.tip(of: name) == nil else { throw RefError.exists(kind: "branch", name: name) }
        let commit = try resolve(start)
        try repository.createBranch(name, at: commit)
        return BranchInfo(name: name, tip: commit, isCurrent: false)
    }

    /// Deletes branch `name`; refuses the current branch, and (unless `force`) a branch whose edits are not
    /// in HEAD's history (they would be lost, as `git branch -d` refuses).
    @discardableResult
    public func deleteBranch(_ name: String, force: Bool = false) throws -> ObjectID {
        guard Repository.isValidReferenceName("refs/heads/" + name), let tip = try store.tip(of: name) else {
            throw WorkspaceError.noSuchBranch(name)
        }
        if try repository.currentBranch() == name { throw RefError.deletingCurrentBranch(name) }
        if !force, let head = try repository.headCommit(), tip != head, try !repository.isDescendant(head, of: tip) {
            throw RefError.branchNotMerged(name)
        }
        try repository.deleteBranch(name)
        return tip
    }

    /// Tags with the commits they name and, for annotated tags, their message; sorted by name.
    public func tags() throws -> [TagInfo] {
        try repository.references(matching: "refs/tags/*").compactMap { ref in
            let name = String(ref.name.dropFirst("refs/tags/".count))
            guard let commit = try? repository.resolveCommit(ref.name) else { return nil }
            let message = try? tagMessage(ref.name)
            return TagInfo(name: name, commit: commit, message: message ?? nil)
        }
    }

    /// Creates tag `name` on `revision` (annotated with `message`, else lightweight).
    @discardableResult
    public func createTag(_ name: String, at revision: String = "HEAD", message: String? = nil) throws -> TagInfo {
        guard RefError.isSafeName(name), Repository.isValidReferenceName("refs/tags/" + name) else { throw RefError.invalidName(kind: "tag", name: name) }
        guard try repository.referenceTarget("refs/tags/" + name) == nil else { throw RefError.exists(kind: "tag", name: name) }
        let commit = try resolve(revision)
        try repository.createTag(name, at: commit, message: message, tagger: nil)
        return TagInfo(name: name, commit: commit, message: message)
    }

    /// Deletes tag `name`; returns the commit it named.
    @discardableResult
    public func deleteTag(_ name: String) throws -> ObjectID {
        guard Repository.isValidReferenceName("refs/tags/" + name), try repository.referenceTarget("refs/tags/" + name) != nil else {
            throw RefError.notFound(kind: "tag", name: name)
        }
        let commit = try resolve("refs/tags/" + name)
        try repository.deleteTag(name)
        return commit
    }

    /// Moves HEAD (the repo is bare: nothing else changes). A branch name puts HEAD on that branch; any
    /// other revision detaches HEAD at its commit, as `git checkout` does.
    @discardableResult
    public func checkout(_ target: String) throws -> HeadPosition {
        if Repository.isValidReferenceName("refs/heads/" + target), let tip = try store.tip(of: target) {
            try repository.setHead("refs/heads/" + target)
            return .branch(target, tip)
        }
        let commit = try resolve(target)
        try repository.setHeadDetached(commit)
        return .detached(commit)
    }

    /// Moves `branch` to `revision`, as `git reset --hard` does (the repo is bare: only the ref moves; no
    /// model is needed and nothing is retrained). The old tip goes to `ORIG_HEAD` and the move to the
    /// branch's reflog, so `reset("ORIG_HEAD")` undoes it. The branch moves by compare-and-swap: a commit
    /// landing meanwhile makes it fail, not vanish.
    @discardableResult
    public func reset(_ branch: String, to revision: String) throws -> ResetResult {
        guard let tip = try store.tip(of: branch) else { throw WorkspaceError.noSuchBranch(branch) }
        let target = try resolve(revision)
        _ = try store.info(of: target)  // an Elder commit (its trailers), or a clear error
        try repository.setReference("ORIG_HEAD", to: tip, force: true, logMessage: "elder reset: \(branch) was here")
        try repository.setReference("refs/heads/" + branch, to: target, expected: tip,
                                    logMessage: "elder reset: moving to \(revision)")
        let kept = try repository.references(matching: "refs/heads/*").compactMap(\.target)
            + repository.references(matching: "refs/tags/*").map { try repository.resolveCommit($0.name) }
        let orphaned = try repository.log(from: tip, excluding: kept)
        return ResetResult(branch: branch, from: tip, to: target, orphaned: orphaned)
    }

    /// The message of an annotated tag, nil for a lightweight one.
    private func tagMessage(_ refName: String) throws -> String? {
        guard let ref = try repository.references(matching: refName).first, let target = ref.target else { return nil }
        let commit = try repository.resolveCommit(refName)
        return target == commit ? nil : try repository.tagMessage(target)
    }

}

extension Workspace {
    /// History and references of this workspace's repo (no model needed).
    public var history: RepoHistory { RepoHistory(store: store) }
}

/// Where HEAD is.
public enum HeadPosition: Sendable, Equatable {
    case branch(String, ObjectID)
    case detached(ObjectID)

    public var commit: ObjectID {
        switch self { case let .branch(_, id), let .detached(id): return id }
    }
    public var branch: String? {
        if case let .branch(name, _) = self { return name }
        return nil
    }
}

/// What `RepoHistory.reset` did.
public struct ResetResult: Sendable, Equatable {
    public var branch: String
    /// The tip before (now `ORIG_HEAD`) and after.
    public var from: ObjectID
    public var to: ObjectID
    /// Commits the branch had that no branch or tag reaches any more, newest first (kept by git until
    /// `git gc` prunes them; `ORIG_HEAD` and the reflog still name them).
    public var orphaned: [ObjectID]
}

/// A local branch as `elder branch` lists it.
public struct BranchInfo: Sendable, Equatable {
    public var name: String
    public var tip: ObjectID
    public var isCurrent: Bool
}

/// A tag: the commit it names and, when annotated, its message.
public struct TagInfo: Sendable, Equatable {
    public var name: String
    public var commit: ObjectID
    public var message: String?
}

/// One commit in full, for `elder show`.
public struct CommitDetails: Sendable {
    /// What the commit does to the knowledge.
    public enum Role: String, Sendable, Codable {
        case root, edit, revert, restore, merge, other
    }

    /// A tensor the commit's delta touches.
    public struct TensorChange: Sendable, Codable, Equatable {
        public var name: String
        public var shape: [Int]
        /// Values the delta changes (non-zero delta entries).
        public var changedValues: Int
        /// Root-mean-square of the delta over the whole tensor.
        public var rms: Double
    }

    public var entry: LogEntry
    public var role: Role
    /// The record of the edit the commit makes or restores (as committed), or the one it reverts (as it was).
    public var edit: EditRecordBody?
    /// The adapted layers, in the order of `edit.allocation`'s rows.
    public var adaptedLayers: [Int]
    public var changedTensors: [TensorChange]
}

/// A branch or tag operation that cannot be done, and what to do instead.
public enum RefError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidName(kind: String, name: String)
    case exists(kind: String, name: String)
    case notFound(kind: String, name: String)
    case deletingCurrentBranch(String)
    case branchNotMerged(String)

    /// Names Elder creates branches and tags under: git accepts more (`$(id)`, `HEAD`, `@`), but such a
    /// name runs a command when pasted into a shell, or shadows what git means by it.
    static func isSafeName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...200).contains(bytes.count), bytes.first != UInt8(ascii: "-"), !name.contains("..") else { return false }
        guard bytes.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || [45, 46, 47, 95].contains($0) })
        else { return false }
        let reserved: Set<String> = ["HEAD", "FETCH_HEAD", "ORIG_HEAD", "MERGE_HEAD", "CHERRY_PICK_HEAD", "BISECT_HEAD"]
        return !name.split(separator: "/").contains { reserved.contains(String($0)) }
    }

    public var description: String {
        switch self {
        case let .invalidName(kind, name):
            return "'\(WorkspaceError.quoted(name))' is not a valid \(kind) name: use letters, digits, '-', '_', '.', '/' "
                + "(no spaces, '..', a leading '-', or a name git gives a meaning such as HEAD)"
        case let .exists(kind, name):
            return "a \(kind) named '\(name)' already exists: choose another name, or delete it first with `elder \(kind) -d \(name)`"
        case let .notFound(kind, name):
            return "there is no \(kind) '\(name)': list them with `elder \(kind)`"
        case let .deletingCurrentBranch(name):
            return "cannot delete branch '\(name)': HEAD is on it; `elder checkout OTHER` first"
        case let .branchNotMerged(name):
            return "branch '\(name)' has edits that HEAD does not have: merge it first (`elder merge \(name)`), or delete it anyway with -D"
        }
    }
}
