import ElderEditing
import ElderStore
import Foundation

/// What an edit trained, apart from the state it is measured on: what its commit needs besides the state,
/// so that a lost race can measure the same update on the branch's new tip.
struct TrainedEdit {
    var request: EditRequest
    var branch: String
    /// The commit message (the hooks' and the supersede note included).
    var message: String
    /// The tip the edit was trained on.
    var trainedOn: ObjectID
    var superseded: [SupersededEdit]
    var outcome: EditOutcome
    var trainedReliability: Double
    var compactionRetries: Int
    var rms: (update: Double, remainder: Double)
    /// Tensors the trained update changed (the superseded edits' taken-out tensors not counted).
    var changedTensors: Int
    var allowNotHolding: Bool
    var author: Signature?
    /// The caller's trailers, which close the message (a proposal's `Proposed-by`).
    var trailers: [Trailer]
}

/// The trained update does not fit the branch as another writer left it; `Workspace.edit` trains again
/// on the new tip or refuses with `WorkspaceError.lostRace`.
struct EditRebaseRefused: Error {
    var reason: String
}

extension Workspace {
    /// The edit `trained`, whose change `stale` was computed on a tip the branch has left, moved onto
    /// `newTip` and measured there (called by `land` when the compare-and-swap fails).
    ///
    /// The change's tensors minus its parent's, exactly on the grid, are added to `newTip`'s state (as a
    /// cherry-pick adds a commit's delta); the edit's memory entry joins `newTip`'s memory, without the
    /// entries of the edits it supersedes. It fits when the same-prompt rule gives at `newTip` what it gave
    /// when the edit was trained (no edit of its prompt landed or went meanwhile), the edit still holds on
    /// the rebased state (unless `allowNotHolding`), and every edit that landed meanwhile and holds on `newTip` still
    /// holds on it. Else `EditRebaseRefused`, nothing written.
    func rebaseEdit(_ trained: TrainedEdit, change stale: KnowledgeChange, onto newTip: ObjectID) throws
        -> (change: KnowledgeChange, metrics: EditMetrics, checks: [LiveEditCheck]) {
        let request = trained.request
        guard let oldTip = stale.parents.first else { throw StoreError.invalidArgument("a change needs the commit it was computed on") }
        // Edits that landed meanwhile: live at the new tip and not where the edit was trained.
        let trainedLive = try liveEdits(of: trained.trainedOn), newLive = try liveEdits(of: newTip)
        if newLive.contains(where: { $0.id == request.id }) {
            throw EditRebaseRefused(reason: "edit \(request.id) is already live there")
        }
        let plan = try history.editPlan(request, at: newTip)
        if let same = plan.upToDate {
            throw EditRebaseRefused(reason: "edit \(same.id) landed meanwhile with the same prompt and target")
        }
        guard Set(plan.supersedes.map(\.id)) == Set(trained.superseded.map(\.id)) else {
            throw EditRebaseRefused(reason: "the live edits of the prompt \"\(request.prompt)\" changed meanwhile")
        }

        let tipVersion = try version(of: newTip)
        let tensors = try store.rebasedTensors(stale.tensors, from: oldTip, onto: newTip)
        var memory = tipVersion.memory
        let gone = Set(trained.superseded.map(\.id))
        memory.entries.removeAll { gone.contains($0.id) }
        if let entry = stale.state.memory.entry(request.id) { memory.entries.append(entry) }
        let state = try makeEditor(model: model, configuration: configuration,
                                   adapter: StateConversion.applying(tensors, to: tipVersion.adapter), memory: memory)

        let prompt = Measurer(model: model).check(editor: state, prompt: request.prompt, target: request.target)
        if !trained.allowNotHolding, !prompt.exactMatch {
            throw EditRebaseRefused(reason: "on the new tip the update gives \(prompt.tokensCorrect) of \(prompt.targetTokens) target tokens")
        }
        // Each edit that landed meanwhile and holds on the new tip must still hold.
        let oldIDs = Set(trainedLive.map(\.id))
        let arrived = newLive.filter { !oldIDs.contains($0.id) && !gone.contains($0.id) }
        let holdingOnTip = Set(checkLiveEdits(arrived, on: try editor(for: tipVersion)).filter(\.holds).map(\.editID))
        let checks = checkLiveEdits(arrived.filter { holdingOnTip.contains($0.id) }, on: state)
        if let broken = checks.first(where: { !$0.holds }) {
            throw EditRebaseRefused(reason: "the update breaks edit \(broken.editID), which landed meanwhile")
        }
        let (change, metrics) = try editChange(trained, state: state, tensors: tensors, parent: newTip, rebaseTrailers: [
            Trailer(EditTrailers.trainedOn, trained.trainedOn.hex), Trailer(EditTrailers.rebaseChecked, "\(checks.count)/\(checks.count)")])
        return (change, metrics, checks)
    }
}
