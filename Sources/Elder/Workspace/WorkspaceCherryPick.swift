import ElderEditing
import ElderStore
import Foundation

/// Trailer keys a cherry-pick commit writes.
enum CherryPickTrailers {
    static let pickedFrom = "Cherry-Picked-From"
}

/// What `Workspace.cherryPick` committed and verified.
public struct CherryPickResult: Sendable, LiveEditsVerified {
    /// The cherry-pick commit.
    public var commit: ObjectID
    /// The commit whose edit was applied.
    public var picked: ObjectID
    public var branch: String
    /// The edits the commit made live (one for an edit commit).
    public var editIDs: [String]
    /// Live edits of the branch whose allocation is the picked edit's very allocation (every LoRA shared).
    public var allocationCollisions: [String]
    /// (layer, LoRA) slots of the picked edits that live edits of the branch also train, of all their slots.
    public var sharedSlots: Int
    public var totalSlots: Int
    /// Every live edit checked on the new state, the picked ones included, before any repair (sorted by id).
    public var liveEdits: [LiveEditCheck]
    public var repair: RepairReport?
    /// The branch tip afterwards (the repair commit when a repair ran).
    public var tip: ObjectID
    public var stateHash: String
}

extension Workspace {
    /// Applies the edit of the commit `revision` (from any branch) on top of `branch`, as `git cherry-pick`
    /// does: a new commit whose tensor change is exactly that commit's delta (`KnowledgeStore.pickedTensors`),
    /// with its edit record and memory entry, message `(cherry picked from commit …)` and the trailer
    /// `Cherry-Picked-From`. It makes the edit live like an edit commit, so `revert` takes it out again.
    ///
    /// Only commits that add edits and take none out can be picked (an edit, or a revert of a revert); a
    /// commit that superseded an edit carries that edit's removal, which means nothing on another branch.
    /// An edit already live on `branch` is refused (`cannotCherryPick`); so is one that conflicts with a live edit there, by
    /// the rule merges use (`MergeConflicts`: same prompt with another answer, or the deferral routing
    /// each to the other), and nothing is committed.
    ///
    /// The new state is verified before it is committed (every live edit's prompt, teacher-forced). The
    /// picked delta was trained beside other edits on its own branch; with `repair`, the live edits that
    /// drop, and the picked edit when its allocation is a live edit's very allocation, are retrained in a
    /// follow-up commit, so the cherry-pick itself stays exact.
    @discardableResult
    public func cherryPick(_ revision: String, onto branch: String = "main", message: String? = nil, repair: Bool = true,
                           author: Signature? = nil) throws -> CherryPickResult {
        try store.repository.checkIdentities(author: author)
        let picked = try resolve(revision)
        let info = try store.info(of: picked)
        guard info.parents.count == 1 else {
            throw WorkspaceError.cannotCherryPick(revision: revision, reason: info.parents.isEmpty
                ? "it is the root commit, which makes no edit"
                : "it is a merge: cherry-pick the edit commits it brought, one at a time")
        }
        let edits = CommitEditChange(info)
        guard edits.removed.isEmpty else {
            throw WorkspaceError.cannotCherryPick(revision: revision, reason: "it also took out edit "
                + edits.removed.joined(separator: ", ")
                + " (a revert, or an edit that superseded it); make the edit again with `elder edit` on \(branch)")
        }
        guard !edits.made.isEmpty else {
            throw WorkspaceError.cannotCherryPick(revision: revision, reason: "it makes no edit (a repair commit?): give the commit of an edit")
        }
        let tip = try tip(of: branch)
        let tipLive = try liveEdits(of: tip)
        for id in edits.made where tipLive.contains(where: { $0.id == id }) {
            throw WorkspaceError.cannotCherryPick(revision: revision, reason: "its edit \(id) is already live on \(branch): nothing to pick")
        }

        let pickedVersion = try version(of: picked), tipVersion = try version(of: tip)
        let pickedRecords = try store.liveEdits(at: picked).filter { edits.made.contains($0.id) }
        let pickedBodies = try pickedRecords.map(EditRecordBody.init(decoding:))
        guard pickedRecords.count == edits.made.count else {
            throw WorkspaceError.invalidMemory("commit \(picked.short) names edit \(edits.made.joined(separator: ", ")) but does not hold its record")
        }
        try checkCherryPickConflicts(pickedBodies, picked: picked, pickedVersion: pickedVersion, revision: revision,
                                     branch: branch, tipLive: tipLive, tipVersion: tipVersion)

        var memory = tipVersion.memory
        for id in edits.made {
            guard let entry = pickedVersion.memory.entry(id) else {
                throw WorkspaceError.invalidMemory("the memory of \(picked.short) has no entry for edit \(id)")
            }
            memory.entries.append(entry)
        }
        let tensors = try store.pickedTensors(applying: picked, onto: tip)
        let after = try makeEditor(model: model, configuration: configuration,
                                   adapter: StateConversion.applying(tensors, to: tipVersion.adapter), memory: memory)
        // Allocations: the picked edits' LoRAs that live edits of the branch train too.
        let pickedIDs = Set(edits.made)
        let collisions = memory.allocationCollisions(of: edits.made).map { $0[0] }
        let pickedSlots = memory.slots(of: edits.made)
        let branchSlots = memory.slots(of: memory.entries.map(\.id).filter { !pickedIDs.contains($0) })

        let original = pickedBodies.first?.message ?? info.message
        let text = (message ?? original.trimmingCharacters(in: .whitespacesAndNewlines))
            + "\n\n(cherry picked from commit \(picked.hex))"
        var change = KnowledgeChange(branch: branch, parents: [tip], state: after, tensors: tensors, message: text)
        // The first edit goes into the `Elder-Edit` trailer (as an edit commit's), any other into
        // `Restored-Edit` (as the revert of a revert that restored several).
        var records = edits.made.compactMap { id in pickedRecords.first { $0.id == id } }
        change.edit = records.removeFirst()
        if let made = change.edit, let body = pickedBodies.first(where: { $0.id == made.id }) {
            change.trailers += EditTrailers.of(prompt: body.prompt, target: body.target)
        }
        change.addedRecords = records
        if !records.isEmpty { change.trailers.append(Trailer(RevertTrailers.restored, records.map(\.id).joined(separator: " "))) }
        change.trailers.append(Trailer(CherryPickTrailers.pickedFrom, picked.hex))
        change.liveEdits = tipLive + pickedBodies
        // The picked edits are retrained too when their allocation is a live edit's very allocation.
        change.alsoRepair = collisions.isEmpty ? [] : edits.made
        change.repairContext = "cherry-picking \(picked.short) onto \(branch)"
        // As `git cherry-pick`: the picked commit's author (name, email and date) stays; the committer is whoever picks.
        change.author = author
        change.keptAuthor = try author == nil ? Commit.lookup(picked, in: store.repository).author : nil
        let landed = try land(change, verify: true, repair: repair)
        return CherryPickResult(commit: landed.commit, picked: picked, branch: branch, editIDs: edits.made,
                                allocationCollisions: collisions, sharedSlots: pickedSlots.intersection(branchSlots).count,
                                totalSlots: pickedSlots.count, liveEdits: landed.liveEdits, repair: landed.repair,
                                tip: landed.tip, stateHash: landed.stateHash)
    }

    /// Throws `cherryPickConflicts` when a picked edit and a live edit of the branch demand different
    /// answers for one prompt. Only the branch's edits the picked prompts could touch are examined (same
    /// id, a shared prompt, or routed to by a picked prompt on the branch), so a long history costs a few
    /// forward passes, not one per live edit.
    private func checkCherryPickConflicts(_ picked: [EditRecordBody], picked commit: ObjectID, pickedVersion: Version,
                                          revision: String, branch: String, tipLive: [EditRecordBody], tipVersion: Version) throws {
        let tipEditor = try editor(for: tipVersion)
        let ref = LoadedModelRef(model: model)
        for b in picked {
            if let same = tipLive.first(where: { MergeConflicts.normalized($0.prompt) == MergeConflicts.normalized(b.prompt)
                                                 && MergeConflicts.normalized($0.target) == MergeConflicts.normalized(b.target) }) {
                throw WorkspaceError.cannotCherryPick(revision: revision, reason:
                    "edit \(same.id) on \(branch) already teaches \"\(same.prompt)\" → \"\(same.target)\": nothing to pick")
            }
        }
        let pickedIDs = Set(picked.map(\.id))
        let pickedPrompts = Set(picked.flatMap(MergeConflicts.prompts).map(MergeConflicts.normalized))
        var candidateIDs = Set<String>()
        for b in picked { for p in MergeConflicts.prompts(b) { if let id = ref.routedEdit(p, editor: tipEditor) { candidateIDs.insert(id) } } }
        let candidates = tipLive.filter { a in
            pickedIDs.contains(a.id) || candidateIDs.contains(a.id)
                || MergeConflicts.prompts(a).contains { pickedPrompts.contains(MergeConflicts.normalized($0)) }
        }
        guard !candidates.isEmpty else { return }
        var conflicts = MergeConflicts.find(ours: candidates, theirs: picked, oursEditor: tipEditor,
                                            theirsEditor: try editor(for: pickedVersion), model: ref)
        let tip = tipVersion.commit
        for i in conflicts.indices {
            conflicts[i].ours.commit = try commitMaking(conflicts[i].ours.editID, from: tip, since: nil)
            conflicts[i].theirs.commit = commit
        }
        guard conflicts.isEmpty else {
            throw WorkspaceError.cherryPickConflicts(branch: branch, revision: revision, conflicts: conflicts)
        }
    }
}
