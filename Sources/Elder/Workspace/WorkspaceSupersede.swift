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

/// What an edit commit does to the live edits, read from its trailers: the edits it makes live and the
/// edits it takes out. A revert of the commit does the opposite.
struct CommitEditChange {
    /// `Elder-Edit`, and `Restored-Edit` of a revert that put an edit back.
    var made: [String]
    /// `Reverted-Edit` of a revert, and `Supersedes` of an edit that replaced same-prompt edits.
    var removed: [String]

    init(_ info: CommitInfo) {
        func ids(_ key: String) -> [String] { (info.trailers[key] ?? "").split(separator: " ").map(String.init) }
        made = [info.editID].compactMap { $0 } + ids(RevertTrailers.restored)
        removed = ids(RevertTrailers.reverted) + ids(SupersedeTrailers.supersedes)
    }
}

extension Workspace {
    /// The live edits at `tip` whose prompt is `prompt` (after `MergeConflicts.normalized`, the rule merge
    /// conflicts use), other than `id` itself.
    func samePromptEdits(_ prompt: String, excluding id: String, in live: [EditRecordBody]) -> [EditRecordBody] {
        let key = MergeConflicts.normalized(prompt)
        return live.filter { $0.id != id && MergeConflicts.normalized($0.prompt) == key }
    }

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

extension EditMemory {
    /// `memory` with `entry` put back where it stood in `original` (before the first entry that came after
    /// it there), so a revert restores the memory's order as well as its entries.
    func restoring(_ entry: Entry, orderedAs original: EditMemory) -> EditMemory {
        var out = self
        out.entries.removeAll { $0.id == entry.id }
        let later = Set((original.entries.firstIndex { $0.id == entry.id }.map { original.entries[($0 + 1)...].map(\.id) }) ?? [])
        let at = out.entries.firstIndex { later.contains($0.id) } ?? out.entries.count
        out.entries.insert(entry, at: at)
        return out
    }
}
