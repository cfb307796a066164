import ElderEditing
import ElderStable
import ElderStore
import Foundation

/// What `Workspace.edit` committed and measured.
public struct EditResult: Sendable {
    public var commit: ObjectID
    public var editID: String
    public var metrics: EditMetrics
    public var stateHash: String
    /// Bytes of tensor packs the commit wrote (before git's zlib).
    public var tensorBytes: Int
    /// The live edits of the same prompt this commit replaced (their deltas taken out in the same commit).
    public var superseded: [SupersededEdit] = []
    /// The same prompt already has this target live: nothing was trained or committed; `commit` is the
    /// branch tip and `editID`, `metrics` are the live edit's.
    public var upToDate = false
    /// The gate's probes before and after the edit (`gate`; empty without one).
    public var probes: [ProbeChange] = []
    /// False for a dry run: trained and measured, nothing committed (`commit` and `stateHash` are the tip's).
    public var committed = true
    /// False when the committed state does not give the target on the prompt (training did not reach it,
    /// or compaction broke it and retraining on the compacted state did not mend it): committed only with
    /// `allowNotHolding` (else `editDoesNotHold`), or measured by a dry run.
    public var holds: Bool { metrics.survivedCompaction }
    /// The branch moved while the edit trained: the tip it was trained on. The update was moved onto the
    /// new tip (`Workspace.rebaseEdit`) and `metrics` were measured there.
    public var rebasedFrom: ObjectID?
    /// The edits that landed on the branch meanwhile, checked on the rebased state (each held before).
    public var rebaseChecks: [LiveEditCheck] = []
    /// The update did not fit the moved branch and the edit was trained again on its new tip.
    public var retrainedAfterRace: Bool { raceRefusal != nil }
    /// Why the first update did not fit the moved branch (`EditRebaseRefused`), when it was trained again.
    public var raceRefusal: String?
}

extension Workspace {
    /// Trains `request` into the state at the tip of `branch` and commits it, atomically: the branch moves
    /// only when everything succeeded (the store's compare-and-swap; any error leaves it where it was).
    ///
    /// Steps: rebuild at the tip; train; compact the changed tensors onto the repo's grid relative to the
    /// tip (`KnowledgeStore.compact`); put the compacted state into the editor; measure the edit on it
    /// (what every rebuild will return); if compaction broke the edit, train again from the compacted
    /// state (up to `retries` times) and compact again; then commit the edit record, the changed tensors,
    /// the routers and the codebook, with the metrics as trailers.
    ///
    /// The compaction remainder is *not* carried into the next edit: error feedback would put part of edit
    /// i's update into edit i+1's delta, so reverting, diffing or bisecting one edit would no longer act on
    /// exactly that edit. Each edit starts from an empty carry; the remainder is dropped and its size is
    /// recorded (`remainderRMS`), and the measurement on the committed state says whether the edit holds.
    ///
    /// **Supersede.** A live edit with the same prompt (`MergeConflicts.normalized`) and another target is
    /// replaced in the same commit: its delta is taken out exactly as `revert` takes it out and its memory
    /// entry forgotten (`supersedeBase`), then the new edit is trained on that state. The commit's tensors
    /// are both changes; the message, the record (`supersedes`) and the trailer `Supersedes` name the old
    /// edit; reverting the commit brings the old edit back exactly. The same target already live is
    /// `upToDate`: nothing trained, nothing committed.
    ///
    /// **Checks before it lands.** With a gate (`gate`: the repo's standing one by default — git config
    /// `elder.probes`, else `<repo>/probes.jsonl` — or given probes, or none), the gate's probes are run on
    /// the tip and on the state that would be committed; a probe the edit breaks (passing before, failing
    /// after) refuses the edit with `probesBroken`, nothing committed. `dryRun` trains, measures and checks,
    /// and commits nothing (the result then says whether the edit would hold and which probes it would break).
    ///
    /// **An edit that does not hold** on the state that would be committed (after the retries) is refused
    /// with `editDoesNotHold` and its numbers, nothing committed, unless `allowNotHolding` (nil: the repo's
    /// git config `elder.allowNotHolding`, default false): then it is committed with the trailers
    /// `Compaction-Broke-Edit: yes` and `Allowed-Not-Holding: yes`.
    ///
    /// **A lost race.** When another writer moved the branch while this edit trained, landing hands the
    /// trained update to `rebaseEdit`, which moves it onto the new tip and measures it there; it lands when
    /// it still holds and breaks none of the edits that landed meanwhile (trailer `Trained-On`). When it
    /// does not fit (a same-prompt edit landed meanwhile, or the checks fail), the edit is trained again on
    /// the new tip, at most `raceRetries` times, then refused with `lostRace`, nothing committed.
    ///
    /// `plan`: the same-prompt rule's verdict (`RepoHistory.editPlan`) when the caller already asked it
    /// (the command line does, to answer "nothing to do" without loading the model, before the pre-edit
    /// hook runs). The edit is then trained on the plan's tip — the state the caller and its hooks saw —
    /// even when the branch moved since; landing treats that as a lost race. `trailers` close the message
    /// after the edit's own (a proposal's `Proposed-by`).
    @discardableResult
    public func edit(_ request: EditRequest, message: String? = nil, on branch: String = "main", retries: Int = 1,
                     author: Signature? = nil, gate: ProbeGateChoice = .standing, dryRun: Bool = false,
                     plan: EditPlan? = nil, trailers: [Trailer] = [], allowNotHolding: Bool? = nil,
                     raceRetries: Int = 1) throws -> EditResult {
        if !dryRun { try store.repository.checkIdentities(author: author) }
        let allowNotHolding = try allowNotHolding ?? history.allowsNotHolding()
        var request = request
        if request.id.isEmpty { request.id = Self.makeEditID(request) }
        guard Self.isValidEditID(request.id) else { throw WorkspaceError.invalidEditID(request.id) }
        let probeGate = try history.probeGate(gate)
        let tip = try plan?.tip ?? tip(of: branch)
        let tipVersion = try version(of: tip)
        let plan = try plan ?? history.editPlan(request, on: branch)
        if let same = plan.upToDate {
            return EditResult(commit: tip, editID: same.id, metrics: same.metrics, stateHash: tipVersion.stateHash,
                              tensorBytes: 0, upToDate: true)
        }
        var base = tipVersion, reverted = StoredState(), superseded: [SupersededEdit] = []
        if !plan.supersedes.isEmpty { (reverted, base, superseded) = try supersedeBase(plan.supersedes, at: tipVersion) }
        let editor = try self.editor(for: base)
        var outcome = try editor.edit(request)
        let measurer = Measurer(model: model)
        let trainedCheck = measurer.check(editor: editor, prompt: request.prompt, target: request.target)

        var attempt = 0
        var compacted: StoredState
        var rms: (update: Double, remainder: Double)
        while true {
            (compacted, rms) = try compact(editor: editor, base: base)
            editor.adapter = StateConversion.applying(compacted, to: base.adapter)
            if measurer.check(editor: editor, prompt: request.prompt, target: request.target).exactMatch || attempt >= retries { break }
            // Compaction broke the edit: train again from the compacted state, then compact again.
            attempt += 1
            editor.forget(editID: request.id)
            let again = try editor.edit(request)
            outcome.iterations += again.iterations
            outcome.finalLoss = again.finalLoss
        }
        var text = message ?? Self.defaultMessage(for: request)
        if !superseded.isEmpty { text += "\n\n" + Self.supersedeNote(superseded, newTarget: request.target) }
        let trained = TrainedEdit(request: request, branch: branch, message: text, trainedOn: tip, superseded: superseded,
                                  outcome: outcome, trainedReliability: trainedCheck.exactMatch ? 1 : 0,
                                  compactionRetries: attempt, rms: rms,
                                  changedTensors: compacted.tensors.count + compacted.routers.count,
                                  allowNotHolding: allowNotHolding, author: author, trailers: trailers)
        // The commit's change from the tip: the superseded deltas taken out, then the new edit's update on top.
        let changed = StoredState(tensors: reverted.tensors.merging(compacted.tensors) { _, new in new },
                                  routers: reverted.routers.merging(compacted.routers) { _, new in new })
        let (change, metrics) = try editChange(trained, state: editor, tensors: changed, parent: tip)
        if !metrics.survivedCompaction, !allowNotHolding, !dryRun {
            throw WorkspaceError.editDoesNotHold(editID: request.id, prompt: request.prompt, target: request.target,
                                                 tokensCorrect: metrics.prompt.tokensCorrect, targetTokens: metrics.prompt.targetTokens,
                                                 trainedHeld: trainedCheck.exactMatch, retrains: attempt)
        }
        // A lost race re-measures the same update on the new tip (`rebaseEdit`); `rebased` keeps the last one.
        var rebased: (metrics: EditMetrics, checks: [LiveEditCheck])?
        let landed: Landing
        do {
            // An edit measures itself (its metrics and trailers); the other live edits are not checked here.
            landed = try land(change, verify: false, repair: false, gate: probeGate, dryRun: dryRun) { stale, newTip in
                let r = try self.rebaseEdit(trained, change: stale, onto: newTip)
                rebased = (r.metrics, r.checks)
                return r.change
            }
        } catch let refused as EditRebaseRefused where raceRetries > 0 {
            // The update no longer fits the moved branch: train it again there (the same-prompt rule read anew).
            var again = try edit(request, message: message, on: branch, retries: retries, author: author, gate: gate,
                                 dryRun: dryRun, trailers: trailers, allowNotHolding: allowNotHolding, raceRetries: raceRetries - 1)
            again.raceRefusal = again.raceRefusal ?? refused.reason
            return again
        } catch let refused as EditRebaseRefused {
            throw WorkspaceError.lostRace(editID: request.id, branch: branch, trainedOn: tip.short, reason: refused.reason)
        }
        var result = EditResult(commit: landed.commit, editID: request.id, metrics: rebased?.metrics ?? metrics,
                                stateHash: landed.stateHash, tensorBytes: landed.tensorBytes, superseded: superseded,
                                probes: landed.probes, committed: landed.committed)
        if let rebased {
            result.rebasedFrom = tip
            result.rebaseChecks = rebased.checks
        }
        return result
    }

    /// The commit of a trained edit measured on `state`: the edit's checks on that state (the prompt, its
    /// training paraphrases, untrained rewordings), its record and its trailers, on `parent`.
    func editChange(_ trained: TrainedEdit, state editor: any Editor, tensors: StoredState, parent: ObjectID,
                    rebaseTrailers: [Trailer] = []) throws -> (KnowledgeChange, EditMetrics) {
        let request = trained.request
        let measurer = Measurer(model: model)
        let promptCheck = measurer.check(editor: editor, prompt: request.prompt, target: request.target)
        let paraphraseChecks = request.paraphrases.prefix(configuration.trainingParaphrases).map {
            measurer.check(editor: editor, prompt: $0, target: request.target)
        }
        let rewordingChecks = PromptRewording.checks(request.prompt).map {
            measurer.check(editor: editor, prompt: $0, target: request.target)
        }
        var metrics = EditMetrics(
            reliability: promptCheck.exactMatch ? 1 : 0, fired: promptCheck.fired, prompt: promptCheck,
            paraphrases: paraphraseChecks,
            paraphraseReliability: paraphraseChecks.isEmpty ? nil
                : Double(paraphraseChecks.filter(\.exactMatch).count) / Double(paraphraseChecks.count),
            iterations: trained.outcome.iterations, initialLoss: trained.outcome.initialLoss, finalLoss: trained.outcome.finalLoss,
            trainedReliability: trained.trainedReliability, compactionRetries: trained.compactionRetries,
            survivedCompaction: promptCheck.exactMatch, remainderRMS: trained.rms.remainder, updateRMS: trained.rms.update,
            changedTensors: trained.changedTensors)
        metrics.rewordings = rewordingChecks
        metrics.rewordingReliability = rewordingChecks.isEmpty ? nil
            : Double(rewordingChecks.filter(\.exactMatch).count) / Double(rewordingChecks.count)
        metrics.fluency = measurer.fluency(editor: editor, prompt: request.prompt, target: request.target)

        let superseded = trained.superseded
        let body = EditRecordBody(id: request.id, prompt: request.prompt, target: request.target, paraphrases: request.paraphrases,
                                  label: request.label, message: trained.message,
                                  allocation: editor.memory.entry(request.id)?.allocation.experts, metrics: metrics,
                                  supersedes: superseded.isEmpty ? nil : superseded)
        var change = KnowledgeChange(branch: trained.branch, parents: [parent], state: editor, tensors: tensors, message: trained.message)
        change.edit = try body.stored()
        change.removedEdits = superseded.map(\.id)
        change.trailers = EditTrailers.of(prompt: request.prompt, target: request.target)
        change.trailers += [Trailer("Reliability", format(metrics.reliability)), Trailer("Fired", metrics.fired ? "yes" : "no")]
        if let p = metrics.paraphraseReliability { change.trailers.append(Trailer("Paraphrase-Reliability", format(p))) }
        if let r = metrics.rewordingReliability { change.trailers.append(Trailer("Rewording-Reliability", format(r))) }
        if let f = metrics.fluency, f.check.answered {
            change.trailers.append(Trailer("Continuation", f.check.continuationAgrees ? "as-base" : "differs"))
            if f.check.repeatsTarget { change.trailers.append(Trailer("Repeats-Target", "yes")) }
        }
        change.trailers.append(Trailer("Iterations", "\(metrics.iterations)"))
        if trained.compactionRetries > 0 { change.trailers.append(Trailer("Compaction-Retries", "\(trained.compactionRetries)")) }
        if !metrics.survivedCompaction {
            change.trailers.append(Trailer("Compaction-Broke-Edit", "yes"))
            // Only reachable with the person's consent (`allowNotHolding`); the history says it was asked for.
            change.trailers.append(Trailer(EditTrailers.allowedNotHolding, "yes"))
        }
        if !superseded.isEmpty {
            change.trailers.append(Trailer(SupersedeTrailers.supersedes, superseded.map(\.id).joined(separator: " ")))
        }
        change.trailers += rebaseTrailers + trained.trailers
        change.author = trained.author
        return (change, metrics)
    }

    /// The editor's changed tensors put onto the grid relative to `base`'s adapter (a fresh carry: see
    /// `edit`). `base` need not be committed (a supersede trains on the tip with old edits taken out); its
    /// values are on the grid, as every rebuilt or compacted state is.
    func compact(editor: any Editor, base: Version) throws -> (StoredState, (update: Double, remainder: Double)) {
        let changed = editor.adapter.changedNames(since: base.adapter)
        let trained = StateConversion.stored(editor.adapter, only: changed)
        let parent = StateConversion.stored(base.adapter, only: changed)
        var carry = CompactionCarry()
        let compacted = try Compactor.compact(trained: trained, parent: parent, grid: store.grid,
                                              options: store.options.compaction, carry: &carry)
        var updateSquares = 0.0, remainderSquares = 0.0, n = 0
        for name in changed {
            guard let t = editor.adapter[name]?.scalars, let b = base.adapter[name]?.scalars, t.count == b.count else { continue }
            for i in 0..<t.count { let d = Double(t[i]) - Double(b[i]); updateSquares += d * d }
            for r in carry.residuals[name] ?? [] { remainderSquares += Double(r) * Double(r) }
            n += t.count
        }
        let count = Double(max(n, 1))
        return (compacted, ((updateSquares / count).squareRoot(), (remainderSquares / count).squareRoot()))
    }

    func format(_ x: Double) -> String { String(format: "%.3f", x) }

    /// An id from the request's content and the time: `e` + 12 hex digits.
    public static func makeEditID(_ request: EditRequest) -> String {
        let h = stableHash(request.prompt + "\u{0}" + request.target + "\u{0}\(Date().timeIntervalSince1970)")
        return "e" + hex16(h).suffix(12)
    }

    static func isValidEditID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...128).contains(bytes.count), !id.contains("..") else { return false }
        func ok(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 45
        }
        guard let first = bytes.first, ok(first), first != 46, first != 45, first != 95 else { return false }
        return bytes.allSatisfy(ok)
    }
}
