import ElderEditing
import ElderStore
import Foundation

/// Which side's edit a merge keeps when two edits conflict (the other side's edit is dropped).
public enum MergePreference: String, Sendable, Codable, CaseIterable {
    case ours, theirs
}

/// Trailer keys a merge commit writes.
enum MergeTrailers {
    static let base = "Merge-Base"
    static let merged = "Merged-Edits"
    static let removed = "Removed-Edits"
    static let resolved = "Conflicts-Resolved"
    static let dropped = "Dropped-Edits"
    static let collisions = "Allocation-Collisions"
}

/// What `Workspace.merge` did and measured.
public struct MergeResult: Sendable, LiveEditsVerified {
    public enum Kind: String, Sendable, Codable {
        /// The branch already contains the other commit: nothing to do.
        case upToDate = "up-to-date"
        /// The branch tip was an ancestor of the other commit: the branch now points at it.
        case fastForward = "fast-forward"
        /// A merge commit with both parents.
        case merge
    }
    public var kind: Kind
    public var branch: String
    public var theirs: ObjectID
    /// The branch tip afterwards (the repair commit when a repair ran).
    public var tip: ObjectID
    public var mergeCommit: ObjectID?
    public var base: ObjectID?
    /// Edits made on each side since the merge base and live in the merged version.
    public var oursAdded: [String] = []
    public var theirsAdded: [String] = []
    /// Edits live at the base that one side reverted since: not live after the merge.
    public var removed: [String] = []
    /// Conflicts resolved by `prefer`, and the edits dropped for them (taken out exactly: their deltas subtracted).
    public var resolved: [MergeConflict] = []
    public var preference: MergePreference?
    public var droppedByPreference: [String] = []
    /// Pairs (ours, theirs) of live edits that hold the very same allocation (all their LoRAs shared).
    public var allocationCollisions: [[String]] = []
    /// (layer, LoRA) slots that edits added on both sides train: a measure of how much they share.
    public var sharedSlots: Int = 0
    public var totalSlots: Int = 0
    /// Every live edit checked on the merged state, before any repair (sorted by id).
    public var liveEdits: [LiveEditCheck] = []
    public var repair: RepairReport?
    public var stateHash: String
}

extension Workspace {
    /// Merges the commit `theirs` (a branch, tag or id) into `branch`.
    ///
    /// - `branch` already contains `theirs`: `.upToDate`, nothing written.
    /// - `branch`'s tip is an ancestor of `theirs`: fast-forward (compare-and-swap of the branch ref).
    /// - Otherwise a merge commit with parents (tip, theirs): tensors = ours + (theirs − base), exact on
    ///   the grid (`KnowledgeStore.mergedTensors`); live edits = a three-way union (an edit live at the
    ///   base that either side reverted is gone); memory = ours' entries plus theirs' new ones.
    ///
    /// Conflicts (see `MergeConflicts`) throw `WorkspaceError.mergeConflicts` listing every pair and
    /// commit nothing, unless `prefer` says which side wins: the other side's conflicting edits are then
    /// dropped exactly (their commits' deltas subtracted, records and memory entries left out) and named
    /// in the message. Nothing is ever resolved silently.
    /// An edit on both sides because one side cherry-picked the other's commit is no conflict: its delta is
    /// counted once (the theirs copy subtracted), as git merges a cherry-picked change cleanly.
    ///
    /// The merged state is verified before committing: every live edit's prompt, teacher-forced on its
    /// target (`MergeResult.liveEdits`, trailer `Live-Edits-Holding`). With `repair`, the edits that
    /// dropped — and theirs whose allocation collides with a live one of ours — are retrained in a
    /// follow-up commit (`repair(_:…)`), so the merge commit stays exact.
    ///
    /// `fastForward: false` makes a merge commit even when the branch could fast-forward (git's `--no-ff`),
    /// so the merge itself is recorded (an approval names its approver there); `trailers` close its message.
    @discardableResult
    public func merge(_ theirs: String, into branch: String = "main", message: String? = nil,
                      prefer: MergePreference? = nil, repair: Bool = true, author: Signature? = nil,
                      fastForward: Bool = true, trailers: [Trailer] = []) throws -> MergeResult {
        let theirsID = try resolve(theirs)
        let oursID = try tip(of: branch)
        let repo = store.repository
        if try oursID == theirsID || repo.isDescendant(oursID, of: theirsID) {
            return MergeResult(kind: .upToDate, branch: branch, theirs: theirsID, tip: oursID, base: theirsID,
                               stateHash: try version(of: oursID).stateHash)
        }
        if fastForward, try repo.isDescendant(theirsID, of: oursID) {
            try repo.setReference("refs/heads/" + branch, to: theirsID, expected: oursID, logMessage: "elder merge: fast-forward")
            return MergeResult(kind: .fastForward, branch: branch, theirs: theirsID, tip: theirsID, base: oursID,
                               stateHash: try version(of: theirsID).stateHash)
        }
        try store.repository.checkIdentities(author: author)  // a merge commit is needed from here on
        guard let baseID = try store.mergeBase(oursID, theirsID) else {
            throw WorkspaceError.noCommonHistory(branch: branch, theirs: theirs)
        }

        // Three-way union of the live edits.
        let baseLive = try liveEdits(of: baseID), oursLive = try liveEdits(of: oursID), theirsLive = try liveEdits(of: theirsID)
        let baseIDs = Set(baseLive.map(\.id)), oursIDs = Set(oursLive.map(\.id)), theirsIDs = Set(theirsLive.map(\.id))
        let oursAdded = oursLive.filter { !baseIDs.contains($0.id) }
        let theirsAdded = theirsLive.filter { !baseIDs.contains($0.id) }
        let removed = oursLive.filter { baseIDs.contains($0.id) && !theirsIDs.contains($0.id) }.map(\.id)

        let oursVersion = try version(of: oursID), theirsVersion = try version(of: theirsID)
        let oursEditor = try editor(for: oursVersion), theirsEditor = try editor(for: theirsVersion)
        var conflicts = MergeConflicts.find(ours: oursAdded, theirs: theirsAdded, oursEditor: oursEditor,
                                            theirsEditor: theirsEditor, model: LoadedModelRef(model: model))
        for i in conflicts.indices {
            conflicts[i].ours.commit = try commitMaking(conflicts[i].ours.editID, from: oursID, since: baseID)
            conflicts[i].theirs.commit = try commitMaking(conflicts[i].theirs.editID, from: theirsID, since: baseID)
        }
        // The same edit on both sides because one side cherry-picked the other's commit: not a conflict,
        // the same delta twice; it is counted once (the other side's copy is subtracted below).
        var pickedTwice: [ObjectID] = []
        conflicts = try conflicts.filter { c in
            guard c.reason == .sameEditID, let o = c.ours.commit, let t = c.theirs.commit,
                  try isCherryPick(o, of: t) || isCherryPick(t, of: o) else { return true }
            pickedTwice.append(t)
            return false
        }
        guard conflicts.isEmpty || prefer != nil else {
            throw WorkspaceError.mergeConflicts(branch: branch, theirs: theirs, conflicts: conflicts)
        }

        // Drop the losing side's conflicting edits: subtract the deltas of the commits that made them.
        var droppedOurs: [String] = [], droppedTheirs: [String] = []
        var subtract: [ObjectID] = []
        for c in conflicts {
            let loser = prefer == .ours ? c.theirs : c.ours
            if prefer == .ours {
                if !droppedTheirs.contains(loser.editID) { droppedTheirs.append(loser.editID) } else { continue }
            } else {
                if !droppedOurs.contains(loser.editID) { droppedOurs.append(loser.editID) } else { continue }
            }
            guard let commit = loser.commit else {
                throw WorkspaceError.invalidMemory("no commit since the merge base makes edit \(loser.editID)")
            }
            // A commit that made the edit by superseding another also took that one's delta out: subtract it all.
            subtract += try contributionCommits(madeBy: commit)
        }
        // An edit live at the base that both sides took out (reverted) had its delta removed on each side, so
        // ours + (theirs − base) removes it twice: add it back once.
        var adjustments = (subtract + pickedTwice).map { (commit: $0, sign: Int32(-1)) }
        for b in baseLive where !oursIDs.contains(b.id) && !theirsIDs.contains(b.id) {
            for commit in try contributionCommits(of: b.id, from: baseID) { adjustments.append((commit, 1)) }
        }
        var (_, tensors) = try store.mergedTensors(ours: oursID, theirs: theirsID)
        if !adjustments.isEmpty { tensors = try adjusting(tensors, by: adjustments, ours: oursID) }

        // Memory and records.
        var memory = oursVersion.memory
        let gone = Set(removed + droppedOurs)
        memory.entries.removeAll { gone.contains($0.id) }
        let keptTheirs = theirsAdded.filter { !droppedTheirs.contains($0.id) && !oursIDs.contains($0.id) }
        for b in keptTheirs {
            guard let entry = theirsVersion.memory.entry(b.id) else {
                throw WorkspaceError.invalidMemory("the memory of \(theirsID.short) has no entry for live edit \(b.id)")
            }
            memory.entries.append(entry)
        }
        let theirsRecords = try store.liveEdits(at: theirsID)
        let added = theirsRecords.filter { r in keptTheirs.contains { $0.id == r.id } }
        let mergedBodies = oursLive.filter { !gone.contains($0.id) } + keptTheirs

        // Allocations: identical codes across the sides, and (layer, LoRA) slots both sides trained.
        let keptOurs = oursAdded.filter { !droppedOurs.contains($0.id) }
        let collisions = memory.allocationCollisions(of: keptTheirs.map(\.id))
        let oursSlots = memory.slots(of: keptOurs.map(\.id)), theirsSlots = memory.slots(of: keptTheirs.map(\.id))

        // The merged state, verified and committed by landing.
        let merged = try makeEditor(model: model, configuration: configuration,
                                    adapter: StateConversion.applying(tensors, to: oursVersion.adapter), memory: memory)
        var text = message ?? "Merge '\(theirs)' into \(branch)"
        if let prefer, !conflicts.isEmpty {
            text += "\n\n\(conflicts.count) conflict\(conflicts.count == 1 ? "" : "s") resolved in favour of \(prefer.rawValue); dropped: "
                + (droppedOurs + droppedTheirs).joined(separator: ", ") + "\n" + conflicts.map { "- \($0)" }.joined(separator: "\n")
        }
        var change = KnowledgeChange(branch: branch, parents: [oursID, theirsID], state: merged, tensors: tensors, message: text)
        change.addedRecords = added
        change.removedEdits = removed + droppedOurs
        change.trailers = [Trailer(MergeTrailers.base, baseID.hex), Trailer(MergeTrailers.merged, "\(keptTheirs.count)")]
        if !removed.isEmpty { change.trailers.append(Trailer(MergeTrailers.removed, "\(removed.count)")) }
        if let prefer, !conflicts.isEmpty {
            change.trailers.append(Trailer(MergeTrailers.resolved, "\(conflicts.count) in favour of \(prefer.rawValue)"))
            let names = (droppedOurs + droppedTheirs).joined(separator: " ")
            change.trailers.append(Trailer(MergeTrailers.dropped, names.utf8.count <= 900 ? names : "\(droppedOurs.count + droppedTheirs.count) edits"))
        }
        if !collisions.isEmpty { change.trailers.append(Trailer(MergeTrailers.collisions, "\(collisions.count)")) }
        change.trailers += trailers
        change.liveEdits = mergedBodies
        // Theirs whose allocation is a live edit's very allocation are retrained too.
        change.alsoRepair = collisions.map { $0[1] }
        change.repairContext = "merging '\(theirs)' into \(branch)"
        change.author = author
        let landed = try land(change, verify: true, repair: repair)
        return MergeResult(kind: .merge, branch: branch, theirs: theirsID, tip: landed.tip, mergeCommit: landed.commit, base: baseID,
                           oursAdded: keptOurs.map(\.id), theirsAdded: keptTheirs.map(\.id), removed: removed,
                           resolved: prefer == nil ? [] : conflicts, preference: conflicts.isEmpty ? nil : prefer,
                           droppedByPreference: droppedOurs + droppedTheirs, allocationCollisions: collisions,
                           sharedSlots: oursSlots.intersection(theirsSlots).count, totalSlots: oursSlots.union(theirsSlots).count,
                           liveEdits: landed.liveEdits, repair: landed.repair, stateHash: landed.stateHash)
    }

    /// The newest commit reachable from `tip` but not from `base` (nil: any) that made edit `id`
    /// (`Elder-Edit`) or restored it (`Restored-Edit`).
    func commitMaking(_ id: String, from tip: ObjectID, since base: ObjectID?) throws -> ObjectID? {
        for c in try store.repository.log(from: tip, excluding: base.map { [$0] } ?? []) {
            let info = try store.info(of: c)
            if CommitEditChange(info).made.contains(id) { return c }
        }
        return nil
    }

    /// `commit` is a cherry-pick of `original` (its `Cherry-Picked-From` trailer names it).
    private func isCherryPick(_ commit: ObjectID, of original: ObjectID) throws -> Bool {
        try store.info(of: commit).trailers[CherryPickTrailers.pickedFrom] == original.hex
    }

    /// `merged` (tensors of ours + theirs − base that differ from ours) with the deltas of `adjustments`
    /// added (sign 1) or taken out (sign −1), exactly, in grid units; returns every tensor that may now
    /// differ from ours' state.
    private func adjusting(_ merged: StoredState, by adjustments: [(commit: ObjectID, sign: Int32)],
                           ours: ObjectID) throws -> StoredState {
        let grid = store.grid
        var state = try store.gridState(of: ours)
        let mergedUnits = try merged.units(on: grid)
        for (name, t) in mergedUnits.tensors { state.tensors[name] = t }
        for (name, t) in mergedUnits.routers { state.routers[name] = t }
        var names = Set(mergedUnits.tensors.keys), routerNames = Set(mergedUnits.routers.keys)
        for (c, sign) in adjustments {
            let delta = try store.delta(of: c)
            try state.add(delta, sign: sign)
            names.formUnion(delta.tensors.keys)
            routerNames.formUnion(delta.routers.keys)
        }
        return GridState(tensors: state.tensors.filter { names.contains($0.key) },
                         routers: state.routers.filter { routerNames.contains($0.key) }).floats(on: grid)
    }
}

