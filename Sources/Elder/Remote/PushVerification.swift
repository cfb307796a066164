import ElderStore
import Foundation

/// What a server checks before it accepts a push into a knowledge repo (the sample `Hooks/pre-receive`
/// runs `elder verify --pre-receive`): every commit a branch update brings is an Elder commit of this repo's
/// model whose tensors rebuild to the state hash it records — the checks `elder pull` makes, plus every
/// new commit's state. A merge made by plain git (no Elder trailers) or a tampered tensor blob is refused.
public enum PushVerification {
    /// One ref update as git gives it to a pre-receive hook (`old new ref`; all zeros: no commit).
    public struct Update: Sendable, Equatable {
        public var old: String
        public var new: String
        public var ref: String

        public init(old: String, new: String, ref: String) {
            self.old = old
            self.new = new
            self.ref = ref
        }

        /// Parses the hook's standard input: one `old new ref` line per update.
        public static func parse(_ text: String) throws -> [Update] {
            try text.split(whereSeparator: \.isNewline).map { line in
                let parts = line.split(separator: " ").map(String.init)
                guard parts.count == 3 else {
                    throw StoreError.invalidArgument("pre-receive input line '\(line)' is not 'OLD NEW REF'")
                }
                return Update(old: parts[0], new: parts[1], ref: parts[2])
            }
        }

        var deletes: Bool { new.allSatisfy { $0 == "0" } }
    }

    /// The verdict on one update.
    public struct Verdict: Sendable, Equatable, Encodable {
        public var ref: String
        public var commit: String
        /// New commits checked (reachable from the update, not from any branch or tag of the repo).
        public var commits: Int
        /// Why it is refused; nil: accepted.
        public var refusal: String?
    }

    /// Checks `updates` against the repo at `path`. Branch updates are checked, each commit new to the repo
    /// (not reachable from any of its branches or tags); deletions and other refs (tags, notes) pass.
    /// `objectDirectories`: where the pushed objects wait (git's quarantine).
    public static func check(_ updates: [Update], repo path: String, objectDirectories: [String] = []) throws -> [Verdict] {
        let repository = try Repository.open(at: path)
        let known = try repository.references(matching: "refs/heads/*").compactMap(\.target)
            + repository.references(matching: "refs/tags/*").map { try repository.resolveCommit($0.name) }
        return try updates.map { update in
            guard update.ref.hasPrefix("refs/heads/"), !update.deletes else {
                return Verdict(ref: update.ref, commit: update.new, commits: 0, refusal: nil)
            }
            guard let tip = ObjectID(hex: update.new) else {
                return Verdict(ref: update.ref, commit: update.new, commits: 0, refusal: "'\(update.new)' is not a commit id")
            }
            return try verify(tip, as: update.ref, repo: path, excluding: known, objectDirectories: objectDirectories)
        }
    }

    /// Checks `tip` and every commit it reaches that `excluding` does not, as the new tip of branch `ref`
    /// (whose current tip, else HEAD, says which model the repo is of).
    public static func verify(_ tip: ObjectID, as ref: String, repo path: String, excluding: [ObjectID],
                              objectDirectories: [String] = []) throws -> Verdict {
        do {
            let store = try KnowledgeStore.open(at: path, commit: tip, objectDirectories: objectDirectories)
            let config = try WorkspaceConfig.decode(store.workspaceConfigJSON)
            let branch = ref.hasPrefix("refs/heads/") ? try store.tip(of: String(ref.dropFirst("refs/heads/".count))) : nil
            if let current = try branch ?? store.repository.headCommit(), current != tip {
                let theirs = try WorkspaceConfig.decode(try store.workspaceConfigJSON(at: current))
                guard theirs.model == config.model else {
                    throw StoreError.invalidArgument("it is a knowledge repo of \(config.model.fileName), this one is of \(theirs.model.fileName)")
                }
            }
            _ = try KnowledgeRemotes.verify(store, tip: tip, excluding: excluding, config: config, everyState: true)
            let count = try store.repository.log(from: tip, excluding: excluding).count   // within elder.maxNewCommits: checked
            return Verdict(ref: ref, commit: tip.hex, commits: count, refusal: nil)
        } catch {
            return Verdict(ref: ref, commit: tip.hex, commits: 0, refusal: reason(error))
        }
    }

    /// The refusal line for `error`, saying what to do.
    static func reason(_ error: Error) -> String {
        let line = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        switch error {
        case StoreError.notAnElderCommit(let id):
            return "commit \(id.short) is not an Elder commit (made with plain git, e.g. a merge by a hosting platform): "
                + "merge knowledge branches with `elder merge BRANCH`, then push again"
        case StoreError.hashMismatch(let commit, _, _):
            return "commit \(commit.short)'s tensors do not rebuild to the state it records (a blob was changed by hand or is corrupt): "
                + "push commits made by elder (elder edit, revert, merge, cherry-pick)"
        default:
            return line + " (merge knowledge branches with `elder merge`, edit with `elder edit`)"
        }
    }
}
