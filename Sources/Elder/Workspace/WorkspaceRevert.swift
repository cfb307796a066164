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

/// One live edit's prompt checked after the revert.
public struct LiveEditCheck: Sendable, Codable, Equatable {
    public var editID: String
    public var target: String
    public var check: PromptCheck
    public var holds: Bool { check.exactMatch }
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
    @discardableResult
    public func revert(_ revision: String, on branch: String = "main", message: String? = nil, repair: Bool = false,
                       author: Signature? = nil) throws -> RevertReport {
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
        var removed: [String] = [], added: [EditRecord] = []
        // The reverted commit made some edits live (an edit, a restore) and took some out (a revert, a
        // superseding edit): take the first out, put the second back.
        let change = CommitEditChange(info)
        guard !change.made.isEmpty || !change.removed.isEmpty else { throw WorkspaceError.notAnEdit(revision: revision) }
        var recordJSON: [UInt8]?
        for id in change.made {
            guard let record = liveAtTip.first(where: { $0.id == id }) else {
                throw WorkspaceError.editNotLive(editID: id, branch: branch)
            }
            if recordJSON == nil { recordJSON = record.json }
            memory.entries.removeAll { $0.id == id }
            removed.append(id)
        }
        let parentMemory = change.removed.isEmpty ? nil : try version(of: parent).memory
        for id in change.removed {
            // Put back an edit the commit took out: its record and memory entry as they were before it.
            guard !liveAtTip.contains(where: { $0.id == id }) else { throw WorkspaceError.editAlreadyLive(editID: id, branch: branch) }
            guard let record = try store.liveEdits(at: parent).first(where: { $0.id == id }),
                  let parentMemory, let entry = parentMemory.entry(id) else {
                throw WorkspaceError.invalidMemory("the state before \(target.short) does not hold edit \(id)")
            }
            if recordJSON == nil { recordJSON = record.json }
            memory = memory.restoring(entry, orderedAs: parentMemory)
            added.append(record)
        }
        let restores = change.made.isEmpty
        let editID = change.made.first ?? change.removed[0]
        guard let recordJSON else { throw WorkspaceError.notAnEdit(revision: revision) }
        let body: EditRecordBody
        do { body = try JSONDecoder().decode(EditRecordBody.self, from: Data(recordJSON)) } catch {
            throw WorkspaceError.invalidMemory("edit record \(editID): \(error)")
        }

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
        var liveBodies: [EditRecordBody] = []
        for record in liveAtTip.filter({ !removed.contains($0.id) }) + added {
            do { liveBodies.append(try JSONDecoder().decode(EditRecordBody.self, from: Data(record.json))) } catch {
                throw WorkspaceError.invalidMemory("edit record \(record.id): \(error)")
            }
        }
        let checks = checkLiveEdits(liveBodies, on: after)

        let summary = info.message.split(separator: "\n").first.map(String.init) ?? target.short
        let text = message ?? "Revert \"\(summary)\""
        var trailers = [Trailer(RevertTrailers.reverts, target.hex)]
        if !removed.isEmpty { trailers.append(Trailer(RevertTrailers.reverted, removed.joined(separator: " "))) }
        if !added.isEmpty { trailers.append(Trailer(RevertTrailers.restored, added.map(\.id).joined(separator: " "))) }
        trailers += [Trailer("Answers-As-Before", reverted.answersAsBefore ? "yes" : "no"),
                     Trailer("Live-Edits-Holding", "\(checks.filter(\.holds).count)/\(checks.count)")]
        let result = try store.commit(CommitRequest(
            branch: branch, parents: [tip], addedEdits: added, removedEdits: removed,
            tensors: tensors.tensors, routers: tensors.routers, codebook: try MemoryCodec.encode(memory),
            message: text, trailers: trailers, author: author))
        remember(Version(commit: result.id, adapter: after.adapter, memory: after.memory, stateHash: result.stateHash))
        var report = RevertReport(commit: result.id, revertedCommit: target, editID: editID, restoresEdit: restores,
                                  restoredEdits: added.map(\.id), revertedPrompt: reverted, liveEdits: checks,
                                  stateHash: result.stateHash)
        if repair, !report.dropped.isEmpty {
            report.repair = try self.repair(report.dropped, on: branch, after: result.id, checksBefore: checks,
                                            context: "reverting \(target.short) (\(summary))", author: author)
        }
        return report
    }
}
