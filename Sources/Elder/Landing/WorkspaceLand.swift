import ElderEditing
import ElderStore
import Foundation

extension Workspace {
    /// Lands `change`: the one path by which anything is committed to a branch.
    ///
    /// 1. `gate`: its probes run on the first parent's state and on `change.state`; a probe that passed
    ///    and fails now refuses the change (`probesBroken`, nothing committed) unless `dryRun`.
    /// 2. `verify`: every edit of `change.liveEdits` is checked on the new state (teacher-forced on its
    ///    target; `change.checked` when the operation made the checks) and the trailer
    ///    `Live-Edits-Holding: h/n` closes the message.
    /// 3. `dryRun` stops here: nothing is written.
    /// 4. The commit (tensors on the grid, records, the memory's codebook, message and trailers, author and
    ///    committer) moves the branch by compare-and-swap: only if it is still at `change.parents[0]`.
    ///    A lost race is the one point where the trained change is still in hand: `rebase`, when given,
    ///    receives it and the new tip and may return the change recomputed on that tip, which lands in
    ///    its place (checked again); without it, or when it returns nil, the store's `staleParent` error
    ///    is thrown and nothing moved.
    /// 5. The new state is remembered (what a rebuild returns), and so are the gate's verdicts on it.
    /// 6. `repair`: the edits that dropped, and `change.alsoRepair`, are retrained in a follow-up commit
    ///    (`repair(_:on:after:…)`), which lands the same way; the change's own commit stays exact.
    @discardableResult
    public func land(_ change: KnowledgeChange, verify: Bool, repair: Bool, gate: ProbeGate? = nil, dryRun: Bool = false,
                     rebase: ((KnowledgeChange, ObjectID) throws -> KnowledgeChange?)? = nil) throws -> Landing {
        guard let base = change.parents.first else { throw StoreError.invalidArgument("a change needs the commit it was computed on") }
        var landing = Landing(commit: base, stateHash: "", tip: base)
        if gate != nil || dryRun { landing.stateHash = try version(of: base).stateHash }
        if let gate {
            let before = try version(of: base)
            landing.probes = try probeChanges(gate, before: try editor(for: before), beforeHash: before.stateHash,
                                              after: change.state, commit: base)
            let broken = landing.probes.filter(\.broken)
            if !broken.isEmpty, !dryRun {
                throw WorkspaceError.probesBroken(editID: change.edit?.id ?? "", probes: broken)
            }
        }
        var trailers = change.trailers
        if verify {
            landing.liveEdits = change.checked ?? checkLiveEdits(change.liveEdits, on: change.state)
            let holding = landing.liveEdits.filter(\.holds).count
            trailers.append(Trailer(VerificationTrailers.holding, "\(holding)/\(landing.liveEdits.count)"))
        }
        if dryRun { return landing }

        let result: CommitResult
        do {
            result = try store.commit(CommitRequest(
                branch: change.branch, parents: change.parents, edit: change.edit, addedEdits: change.addedRecords,
                removedEdits: change.removedEdits, tensors: change.tensors.tensors, routers: change.tensors.routers,
                codebook: try MemoryCodec.encode(change.state.memory), message: change.message, trailers: trailers,
                author: change.keptAuthor ?? change.author, committer: change.committer))
        } catch StoreError.staleParent(let branch, let expected, let actual) {
            guard let rebase, let actual, let rebased = try rebase(change, actual) else {
                throw StoreError.staleParent(branch: branch, expected: expected, actual: actual)
            }
            return try land(rebased, verify: verify, repair: repair, gate: gate, dryRun: dryRun, rebase: rebase)
        }
        remember(Version(commit: result.id, adapter: change.state.adapter, memory: change.state.memory, stateHash: result.stateHash))
        if let gate { rememberProbeVerdicts(gate, landing.probes, stateHash: result.stateHash) }
        landing.commit = result.id
        landing.committed = true
        landing.tip = result.id
        landing.stateHash = result.stateHash
        landing.tensorBytes = result.tensorBytes

        let toRepair = landing.dropped + change.alsoRepair.filter { !landing.dropped.contains($0) }
        if repair, !toRepair.isEmpty {
            let report = try self.repair(toRepair, on: change.branch, after: result.id, checksBefore: landing.liveEdits,
                                         context: change.repairContext, author: change.author, committer: change.committer)
            landing.repair = report
            if let c = report.commit { landing.tip = c }
        }
        return landing
    }
}
