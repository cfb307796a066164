import ElderEditing
import ElderStore
import Foundation

/// Trailer keys a repair commit writes.
enum RepairTrailers {
    /// The commit (a revert or a merge) whose verification found the dropped edits.
    static let repairs = "Repairs"
    static let repaired = "Repaired-Edits"
    static let holdingBefore = "Live-Edits-Holding-Before"
}

/// What a repair retrained, and how every live edit held before and after it.
///
/// A repair is its own commit on top of the revert or merge it follows, never folded into it: the revert
/// stays the exact negation of one edit's delta (so reverting the revert gives back the same state, bit
/// for bit) and the merge stays exactly ours + theirs − base; the repair can be reverted on its own.
public struct RepairReport: Sendable {
    /// The repair commit; nil when nothing had to be retrained.
    public var commit: ObjectID?
    /// The revert or merge commit whose verification found the dropped edits.
    public var repairs: ObjectID
    /// The edits retrained (the dropped ones, plus any whose allocation had to be made distinct).
    public var repairedEdits: [String]
    /// Every live edit checked on the state before the repair and after it (same edits, sorted by id).
    public var before: [LiveEditCheck]
    public var after: [LiveEditCheck]
    /// State hash of the repair commit (of `repairs` when there was nothing to do).
    public var stateHash: String

    public var holdingBefore: Int { before.filter(\.holds).count }
    public var holdingAfter: Int { after.filter(\.holds).count }
    public var fractionBefore: Double { before.isEmpty ? 1 : Double(holdingBefore) / Double(before.count) }
    public var fractionAfter: Double { after.isEmpty ? 1 : Double(holdingAfter) / Double(after.count) }
    /// Edits still dropped after the repair.
    public var stillDropped: [String] { after.filter { !$0.holds }.map(\.editID) }
}

extension Workspace {
    /// Retrains `editIDs` (live at the tip of `branch`, which must be `after`) briefly on top of the tip
    /// and commits the result as a follow-up commit. Each edit is taken out of the editor's memory and
    /// trained again from the current state with its own prompt, target and paraphrases (the editor's
    /// early stop ends training once every training row gives the target, so an edit that only slipped
    /// takes a few steps); its allocation is drawn again against the other live edits (least-used spreads
    /// it over the LoRAs the fewest edits use). The changed tensors are compacted onto the grid against the
    /// tip, as an edit's are; an edit that compaction breaks is trained once more from the compacted state.
    /// Every live edit is measured before and after; records whose allocation changed are rewritten.
    func repair(_ editIDs: [String], on branch: String, after: ObjectID, checksBefore: [LiveEditCheck],
                context: String, author: Signature?, committer: Signature? = nil) throws -> RepairReport {
        let base = try version(of: after)
        let bodies = try liveEdits(of: after)
        let byID = Dictionary(bodies.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let ids = editIDs.filter { byID[$0] != nil }
        guard !ids.isEmpty else {
            return RepairReport(commit: nil, repairs: after, repairedEdits: [], before: checksBefore, after: checksBefore,
                                stateHash: base.stateHash)
        }
        let editor = try self.editor(for: base)
        func retrain(_ id: String) throws {
            guard let b = byID[id] else { return }
            editor.forget(editID: id)
            _ = try editor.edit(EditRequest(id: b.id, prompt: b.prompt, target: b.target, paraphrases: b.paraphrases, label: b.label))
        }
        for id in ids { try retrain(id) }
        var (compacted, _) = try compact(editor: editor, base: base)
        editor.adapter = StateConversion.applying(compacted, to: base.adapter)
        let measurer = Measurer(model: model)
        let broken = ids.filter { id in
            guard let b = byID[id] else { return false }
            return !measurer.check(editor: editor, prompt: b.prompt, target: b.target).exactMatch
        }
        if !broken.isEmpty {
            // Compaction (or a later repaired edit) broke these: once more from the compacted state.
            for id in broken { try retrain(id) }
            (compacted, _) = try compact(editor: editor, base: base)
            editor.adapter = StateConversion.applying(compacted, to: base.adapter)
        }
        let checksAfter = checkLiveEdits(bodies, on: editor)

        var rewritten: [StoredEditRecord] = []
        for id in ids {
            guard var b = byID[id], let entry = editor.memory.entry(id) else { continue }
            if b.allocation != entry.allocation.experts {
                b.allocation = entry.allocation.experts
                rewritten.append(try b.stored())
            }
        }
        let holdingBefore = checksBefore.filter(\.holds).count
        var text = "Repair \(ids.count) edit\(ids.count == 1 ? "" : "s") after \(context)\n\nRetrained: " + ids.joined(separator: ", ")
        let still = checksAfter.filter { !$0.holds }.map(\.editID)
        if !still.isEmpty { text += "\nStill not holding: " + still.joined(separator: ", ") }
        var change = KnowledgeChange(branch: branch, parents: [after], state: editor, tensors: compacted, message: text)
        change.addedRecords = rewritten
        change.trailers = [Trailer(RepairTrailers.repairs, after.hex),
                           Trailer(RepairTrailers.repaired, "\(ids.count)"),
                           Trailer(RepairTrailers.holdingBefore, "\(holdingBefore)/\(checksBefore.count)")]
        change.liveEdits = bodies
        change.checked = checksAfter
        change.author = author
        change.committer = committer
        let landed = try land(change, verify: true, repair: false)
        return RepairReport(commit: landed.commit, repairs: after, repairedEdits: ids, before: checksBefore, after: checksAfter,
                            stateHash: landed.stateHash)
    }
}
