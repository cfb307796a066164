import ElderEditing
import ElderStore
import Foundation

/// Trailer keys a revert commit writes.
enum RevertTrailers {
    static let reverts = "Reverts"
    static let reverted = "Reverted-Edit"
    static let restored = "Restored-Edit"
}

/// How the reverted (or restored) edit's prompt answers after the revert, against the state before the
/// reverted commit: after reverting an edit that should be the base answer, after reverting a revert the edit's.
public struct RevertedPromptCheck: Sendable, Codable, Equatable {
    public var prompt: String
    public var target: String
    /// Teacher-forced on the reverted target, before the reverted commit and after the revert.
    public var before: PromptCheck
    public var after: PromptCheck
    /// Greedy continuations before the reverted commit and after the revert.
    public var beforeText: String
    public var afterText: String
    /// Same greedy continuation and same teacher-forced target tokens correct.
    public var answersAsBefore: Bool
}

/// What `Workspace.revert` committed and verified.
public struct RevertReport: Sendable, LiveEditsVerified {
    public var commit: ObjectID
    public var revertedCommit: ObjectID
    public var editID: String
    /// The revert put an edit back (it reverted a revert).
    public var restoresEdit: Bool
    /// Edits the revert put back besides a restore: those a reverted superseding edit had replaced.
    public var restoredEdits: [String] = []
    public var revertedPrompt: RevertedPromptCheck
    /// Every edit live after the revert, with its prompt's reliability.
    public var liveEdits: [LiveEditCheck]
    public var stateHash: String
    /// The follow-up repair commit's report (`repair: true` and some edit dropped), nil otherwise.
    public var repair: RepairReport?
}

extension Workspace {
    /// Reverts the commit `revision` on `branch`: a new commit whose tensor change is the exact negation
    /// of that commit's delta (`KnowledgeStore.revertedTensors`) and whose memory and edit records no longer
    /// hold its edit. Reverting a revert restores the edit (delta, record and memory entry as they were).
    /// The new state is verified before it is committed: (a) the reverted prompt against the state before
    /// the reverted commit, teacher-forced on its target and greedy; (b) every live edit's prompt.
    /// The results go into the report and the commit's trailers.
    ///
    /// `repair: true` retrains the live edits that dropped (`repair(_:on:after:…)`) in a follow-up commit,
    /// so the revert itself stays exact; the report then holds the numbers before and after the repair.
    /// `trailers` close the revert commit's message after the revert's own (an approval's `Approved-by`).
    @discardableResult
    public func revert(_ revision: String, on branch: String = "main", message: String? = nil, repair: Bool = false,
                       author: Signature? = nil, trailers: [Trailer] = []) throws -> RevertReport {
        try store.repository.checkIdentities(author: author)
        let target = try resolve(revision)
        let tip = try tip(of: branch)
        let onBranch = try target == tip || store.repository.isDescendant(tip, of: target)
        guard onBranch else {
            throw WorkspaceError.notOnBranch(revision: revision, branch: branch)
        }
        let info = try store.info(of: target)
        guard let parent = info.parents.first else { throw WorkspaceError.notAnEdit(revision: revision) }
        let tipVersion = try version(of: tip)
        let liveAtTip = try store.liveEdits(at: tip)
        var memory = tipVersion.memory
        var removed: [String] = [], added: [StoredEditRecord] = []
        // The reverted commit made some edits live (an edit, a restore) and took some out (a revert, a
        // superseding edit): take the first out, put the second back.
        let edits = CommitEditChange(info)
        guard !edits.made.isEmpty || !edits.removed.isEmpty else { throw WorkspaceError.notAnEdit(revision: revision) }
        var revertedRecord: StoredEditRecord?
        for id in edits.made {
            guard let record = liveAtTip.first(where: { $0.id == id }) else {
                throw WorkspaceError.editNotLive(editID: id, branch: branch)
            }
            if revertedRecord == nil { revertedRecord = record }
            memory.entries.removeAll { $0.id == id }
            removed.append(id)
        }
        let parentMemory = edits.removed.isEmpty ? nil : try version(of: parent).memory
        for id in edits.removed {
            // Put back an edit the commit took out: its record and memory entry as they were before it.
            guard !liveAtTip.contains(where: { $0.id == id }) else { throw WorkspaceError.editAlreadyLive(editID: id, branch: branch) }
            guard let record = try store.liveEdits(at: parent).first(where: { $0.id == id }),
                  let parentMemory, let entry = parentMemory.entry(id) else {
                throw WorkspaceError.invalidMemory("the state before \(target.short) does not hold edit \(id)")
            }
            if revertedRecord == nil { revertedRecord = record }
            memory = memory.restoring(entry, orderedAs: parentMemory)
            added.append(record)
        }
        let restores = edits.made.isEmpty
        let editID = edits.made.first ?? edits.removed[0]
        guard let revertedRecord else { throw WorkspaceError.notAnEdit(revision: revision) }
        let body = try EditRecordBody(decoding: revertedRecord)

        let tensors = try store.revertedTensors(reverting: target, onto: tip)
        let after = try makeEditor(model: model, configuration: configuration,
                                   adapter: StateConversion.applying(tensors, to: tipVersion.adapter), memory: memory)
        let before = try editor(for: try version(of: parent))
        let measurer = Measurer(model: model)
        let targetTokens = model.tokenizer.encode(body.target).count
        let beforeCheck = measurer.check(editor: before, prompt: body.prompt, target: body.target)
        let afterCheck = measurer.check(editor: after, prompt: body.prompt, target: body.target)
        let beforeText = measurer.greedy(editor: before, prompt: body.prompt, maxTokens: targetTokens + 3).text
        let afterText = measurer.greedy(editor: after, prompt: body.prompt, maxTokens: targetTokens + 3).text
        let reverted = RevertedPromptCheck(prompt: body.prompt, target: body.target, before: beforeCheck, after: afterCheck,
                                           beforeText: beforeText, afterText: afterText,
                                           answersAsBefore: beforeText == afterText && beforeCheck.tokensCorrect == afterCheck.tokensCorrect)
        let summary = info.message.split(separator: "\n").first.map(String.init) ?? target.short
        var change = KnowledgeChange(branch: branch, parents: [tip], state: after, tensors: tensors,
                                     message: message ?? "Revert \"\(summary)\"")
        change.addedRecords = added
        change.removedEdits = removed
        change.trailers = [Trailer(RevertTrailers.reverts, target.hex)]
        if !removed.isEmpty { change.trailers.append(Trailer(RevertTrailers.reverted, removed.joined(separator: " "))) }
        if !added.isEmpty { change.trailers.append(Trailer(RevertTrailers.restored, added.map(\.id).joined(separator: " "))) }
        change.trailers.append(Trailer("Answers-As-Before", reverted.answersAsBefore ? "yes" : "no"))
        change.trailers += trailers
        change.liveEdits = try (liveAtTip.filter { !removed.contains($0.id) } + added).map(EditRecordBody.init(decoding:))
        change.repairContext = "reverting \(target.short) (\(summary))"
        change.author = author
        let landed = try land(change, verify: true, repair: repair)
        return RevertReport(commit: landed.commit, revertedCommit: target, editID: editID, restoresEdit: restores,
                            restoredEdits: added.map(\.id), revertedPrompt: reverted, liveEdits: landed.liveEdits,
                            stateHash: landed.stateHash, repair: landed.repair)
    }
}
