import ElderEditing
import ElderStore
import Foundation

/// A live edit that a new edit of the same prompt replaced (`Workspace.edit` supersedes it in the same commit).
public struct SupersededEdit: Codable, Sendable, Equatable {
    public var id: String
    public var prompt: String
    /// The answer it taught, which the new edit replaces.
    public var target: String
    /// The commits whose deltas the superseding commit took out (the one that made the edit first; then,
    /// when that commit itself superseded or restored, the commits of the edits it replaced).
    public var commits: [String]
}

/// Trailer keys of a superseding edit commit.
enum SupersedeTrailers {
    /// The ids of the edits taken out, separated by spaces (normally one).
    static let supersedes = "Supersedes"
}

extension Workspace {
    /// The commits whose deltas sum to what edit `id` contributes to the state at `tip`: the newest commit
    /// that made it live, and, when that commit also took edits out (a superseding edit, or a revert of
    /// one), the contributions of those edits at its parent — its delta is the new edit's update minus
    /// theirs. Subtracting all of them takes the edit out exactly, as `revert` takes out one commit.
    func contributionCommits(of id: String, from tip: ObjectID) throws -> [ObjectID] {
        guard let commit = try commitMaking(id, from: tip, since: nil) else {
            throw WorkspaceError.invalidMemory("no commit in the history of \(tip.short) makes edit \(id)")
        }
        return try contributionCommits(madeBy: commit)
    }

    /// `commit` and, when it also took edits out, their contributions at its parent (see above).
    func contributionCommits(madeBy commit: ObjectID) throws -> [ObjectID] {
        let info = try store.info(of: commit)
        var out = [commit]
        if let parent = info.parents.first {
            for old in CommitEditChange(info).removed { out += try contributionCommits(of: old, from: parent) }
        }
        return out
    }

    /// The state at `tip` with the edits `old` taken out, as a revert takes an edit out: their commits'
    /// deltas subtracted exactly (`KnowledgeStore.revertedTensors`) and their memory entries forgotten.
    /// Returns the changed tensors, the version to train on (its `commit` is still `tip`: nothing is
    /// committed) and what the commit record says about each superseded edit.
    func supersedeBase(_ old: [EditRecordBody], at tip: Version) throws -> (tensors: StoredState, base: Version, superseded: [SupersededEdit]) {
        var commits: [ObjectID] = [], superseded: [SupersededEdit] = []
        for edit in old {
            let chain = try contributionCommits(of: edit.id, from: tip.commit)
            commits += chain
            superseded.append(SupersededEdit(id: edit.id, prompt: edit.prompt, target: edit.target, commits: chain.map(\.hex)))
        }
        let tensors = try store.revertedTensors(reverting: commits, onto: tip.commit)
        var memory = tip.memory
        let ids = Set(old.map(\.id))
        memory.entries.removeAll { ids.contains($0.id) }
        let base = Version(commit: tip.commit, adapter: StateConversion.applying(tensors, to: tip.adapter), memory: memory,
                           stateHash: tip.stateHash)
        return (tensors, base, superseded)
    }

    /// The paragraph a superseding commit's message ends with.
    static func supersedeNote(_ superseded: [SupersededEdit], newTarget: String) -> String {
        superseded.map { "Supersedes edit \($0.id): \"\($0.prompt)\" → \"\($0.target)\" (now \"\(newTarget)\")" }
            .joined(separator: "\n")
    }
}

