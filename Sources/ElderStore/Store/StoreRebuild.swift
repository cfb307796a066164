/// Rebuilding versions and reading what the workspace needs for log, revert and merge.
///
/// The state of a commit at first-parent depth d is root + keyframe sum + the deltas of the
/// commits at depths dk+1 … d on its first-parent chain, where dk is the depth of the keyframe its
/// tree carries. All terms are integers on the grid, so the sum is exact in any order; a state
/// cached for any commit on the chain may replace the keyframe as the starting point.
extension KnowledgeStore {
    /// The exact adapter state of any revision (commit id, branch, tag, `HEAD~n`, …).
    public func state(at revspec: String) throws -> StoredState {
        try state(of: try repository.resolveCommit(revspec))
    }

    public func state(of commit: ObjectID) throws -> StoredState {
        floats(try gridState(of: commit))
    }

    /// `state`'s float values, a tensor at a time: each grid tensor is let go once converted (so a store that
    /// keeps no states holds a version once, not in both forms), and a tensor equal to the last one converted
    /// under its name shares that float buffer (versions of one history differ in a few tensors; a server
    /// keeping several then holds the rest once). Exact either way: a value is `Float(units) * step`.
    func floats(_ state: consuming GridState) -> StoredState {
        var out = StoredState()
        while let entry = state.tensors.popFirst() { out.tensors[entry.key] = floats(entry.key, entry.value) }
        while let entry = state.routers.popFirst() { out.routers[entry.key] = floats(entry.key, entry.value) }
        return out
    }

    private func floats(_ name: String, _ tensor: GridTensor) -> StoredTensor {
        if let last = lastConverted[name], last.units == tensor { return last.floats }
        let floats = tensor.floats(on: grid)
        if stateCache.capacity > 0 { lastConverted[name] = (tensor, floats) }
        return floats
    }

    /// The state in grid units; verified against the commit's recorded hash when rebuilt.
    public func gridState(of commit: ObjectID) throws -> GridState {
        if let hit = stateCache.get(commit) { return hit }
        let target = try info(of: commit)
        let keyframe = try readKeyframe(tree: try Commit.lookup(commit, in: repository).tree())
        guard keyframe.depth <= target.depth else {
            throw StoreError.corrupt(what: "commit \(commit.short)", reason: "keyframe depth \(keyframe.depth) above commit depth \(target.depth)")
        }
        var chain: [ObjectID] = []
        var cursor = commit
        var start: GridState?
        for _ in 0..<(target.depth - keyframe.depth) {
            if let hit = stateCache.get(cursor) { start = hit; break }
            chain.append(cursor)
            guard let parent = try Commit.lookup(cursor, in: repository).parentIDs.first else {
                throw StoreError.corrupt(what: "commit \(cursor.short)", reason: "first-parent chain ends above its keyframe")
            }
            cursor = parent
        }
        var budget = newBudget()
        var state: GridState
        if let cached = start ?? stateCache.get(cursor) {
            state = cached
            try budget.admit(state.declared, what: "the cached state of \(cursor.short)")
        } else {
            state = try keyframeState(keyframe, budget: &budget)
        }
        for id in chain {
            try state.add(try readDelta(tree: try Commit.lookup(id, in: repository).tree(), of: id, budget: &budget))
        }
        let hash = StateHash.compute(state, on: grid)
        guard hash == target.stateHash else {
            throw StoreError.hashMismatch(commit: commit, recorded: target.stateHash, rebuilt: hash)
        }
        stateCache.put(commit, state)
        return state
    }

    /// Depth, recorded state hash and trailers of an Elder commit.
    public func info(of commit: ObjectID) throws -> CommitInfo {
        let c = try Commit.lookup(commit, in: repository)
        var trailers: [String: String] = [:]
        for t in c.trailers { trailers[t.key] = t.value }
        guard let depthText = trailers[RepoFormat.trailerDepth], let depth = Int(depthText), depth >= 0,
              let state = trailers[RepoFormat.trailerState], state.hasPrefix(RepoFormat.statePrefix),
              state.utf8.count == RepoFormat.statePrefix.utf8.count + 64 else {
            throw StoreError.notAnElderCommit(commit)
        }
        if let format = trailers[RepoFormat.trailerFormat], Int(format) != RepoFormat.version {
            throw StoreError.unsupportedFormat(Int(format) ?? -1)
        }
        return CommitInfo(id: commit, parents: c.parentIDs, depth: depth,
                          stateHash: String(state.dropFirst(RepoFormat.statePrefix.count)),
                          editID: trailers[RepoFormat.trailerEdit], message: c.message, trailers: trailers)
    }

    /// The delta a commit recorded: its state minus its first parent's (the whole state for the root).
    public func delta(of commit: ObjectID) throws -> GridState {
        var budget = newBudget()
        return try readDelta(tree: try Commit.lookup(commit, in: repository).tree(), of: commit, budget: &budget)
    }

    /// Checks what a commit's delta packs declare (headers only: names, shapes, sizes) against the limits
    /// and the schema, without decoding them: cheap enough for every commit a clone or pull brings.
    public func checkDelta(of commit: ObjectID) throws {
        let tree = try Commit.lookup(commit, in: repository).tree()
        var budget = newBudget()
        for (dir, expected) in [(RepoFormat.deltaDir, Self.adapterPack), (RepoFormat.routerDir, Self.routerPack)] {
            guard let entry = tree.entry(named: dir) else { continue }
            let what = "commit \(commit.short)'s \(dir)/\(expected)"
            guard entry.kind == .tree else { throw StoreError.corrupt(what: what, reason: "not a folder") }
            for file in try Tree.lookup(entry.id, in: repository).entries {
                guard file.kind == .blob, file.name == expected else {
                    throw StoreError.corrupt(what: what, reason: "unexpected entry '\(file.name)'")
                }
                let size = try repository.blobSize(file.id)
                guard size <= budget.maxPackBytes else {
                    throw StoreError.overLimit(what: what, limit: "elder.maxStateValues", declared: size / 4, allowed: budget.maxPackBytes / 4)
                }
                let bytes = try repository.readBlob(file.id, maxBytes: budget.maxPackBytes)
                try budget.admit(try TensorCodec.header(bytes, what: what).tensors, what: what)
            }
        }
    }

    /// Checks that a commit's recorded delta is its state minus its first parent's (both rebuilt, so both
    /// hash-checked): a keyframe commit's state is read from its keyframe, not its delta, so a delta changed by
    /// hand there would otherwise pass, and revert, merge and cherry-pick read deltas. A server checks this of
    /// every pushed commit (`elder verify`).
    public func checkDeltaMatchesStates(of commit: ObjectID) throws {
        guard let parent = try Commit.lookup(commit, in: repository).parentIDs.first else { return }
        let change = try gridState(of: commit).difference(from: try gridState(of: parent))
        let recorded = try delta(of: commit)
        func nonzero(_ g: [String: GridTensor]) -> [String: GridTensor] { g.filter { !$0.value.isZero } }
        guard nonzero(recorded.tensors) == change.tensors, nonzero(recorded.routers) == change.routers else {
            throw StoreError.corrupt(what: "commit \(commit.short)'s delta",
                                     reason: "it is not the commit's state minus its parent's (a tensor blob changed by hand, or corrupt)")
        }
    }

    /// The edit records live at a version (`edits/`).
    public func liveEdits(at commit: ObjectID) throws -> [StoredEditRecord] {
        try readEdits(tree: try Commit.lookup(commit, in: repository).tree())
    }

    /// One edit's record at a version (`edits/<x>/<y>/<id>.json`), nil when that edit is not live there:
    /// one file read instead of every live edit's (`liveEdits(at:)`).
    public func editRecord(_ id: String, at commit: ObjectID) throws -> StoredEditRecord? {
        guard Names.isValid(id) else { return nil }
        let (x, y) = Self.editShard(id)
        guard let file = try Commit.lookup(commit, in: repository).tree().subtree(named: RepoFormat.editsDir)?
            .subtree(named: x)?.subtree(named: y)?.entry(named: id + ".json"), file.kind == .blob else { return nil }
        return StoredEditRecord(id: id, json: try repository.readBlob(file.id, maxBytes: RepoFormat.maxJSONBytes))
    }

    /// The codebook files at a version (`codebook/`).
    public func codebook(at commit: ObjectID) throws -> [String: [UInt8]] {
        try readCodebook(tree: try Commit.lookup(commit, in: repository).tree())
    }

    public func mergeBase(_ a: ObjectID, _ b: ObjectID) throws -> ObjectID? { try repository.mergeBase(a, b) }

    /// The tip of a branch.
    public func tip(of branch: String) throws -> ObjectID? { try repository.referenceTarget("refs/heads/" + branch) }

    /// Tensors of `tip`'s state with `commit`'s delta taken back out (what a revert commits). Exact.
    public func revertedTensors(reverting commit: ObjectID, onto tip: ObjectID) throws -> StoredState {
        try revertedTensors(reverting: [commit], onto: tip)
    }

    /// Tensors of `tip`'s state with the deltas of `commits` all taken back out, exactly (in grid units,
    /// so the order does not matter): every tensor any of the deltas names.
    public func revertedTensors(reverting commits: [ObjectID], onto tip: ObjectID) throws -> StoredState {
        try tensors(of: tip, adding: commits, sign: -1)
    }

    /// Tensors of `tip`'s state with `commit`'s delta added once more (what a cherry-pick commits). Exact.
    public func pickedTensors(applying commit: ObjectID, onto tip: ObjectID) throws -> StoredState {
        try tensors(of: tip, adding: [commit], sign: 1)
    }

    /// A change computed on `base` and not committed (`tensors`: its changed tensors' values, on the grid)
    /// moved onto `tip`: `tip`'s state plus the change's difference from `base`, as the tensors the change
    /// names (what an edit that lost a race to another writer commits instead). Exact, as a cherry-pick is.
    public func rebasedTensors(_ tensors: StoredState, from base: ObjectID, onto tip: ObjectID) throws -> StoredState {
        let changed = try tensors.units(on: grid)
        let baseState = try gridState(of: base)
        let delta = GridState(tensors: try Self.changes(changed.tensors, from: baseState.tensors),
                              routers: try Self.changes(changed.routers, from: baseState.routers))
        var state = try gridState(of: tip)
        try state.add(delta)
        return pick(changed, from: state)
    }

    /// `tip`'s state plus `sign` times each commit's delta, as the tensors any of the deltas names.
    private func tensors(of tip: ObjectID, adding commits: [ObjectID], sign: Int32) throws -> StoredState {
        var state = try gridState(of: tip)
        var names = GridState()
        for commit in commits {
            let delta = try self.delta(of: commit)
            try state.add(delta, sign: sign)
            for (name, t) in delta.tensors { names.tensors[name] = t }
            for (name, t) in delta.routers { names.routers[name] = t }
        }
        return pick(names, from: state)
    }

    /// The merge of `theirs` into `ours`: ours + (theirs − base), returned as the tensors that differ
    /// from ours, with the merge base. Exact.
    public func mergedTensors(ours: ObjectID, theirs: ObjectID) throws -> (base: ObjectID, tensors: StoredState) {
        guard let base = try mergeBase(ours, theirs) else {
            throw StoreError.invalidArgument("\(ours.short) and \(theirs.short) share no history")
        }
        let change = try gridState(of: theirs).difference(from: try gridState(of: base))
        var state = try gridState(of: ours)
        try state.add(change)
        return (base, pick(change, from: state))
    }

    /// The tensors of `state` named in `names`, as floats.
    private func pick(_ names: GridState, from state: GridState) -> StoredState {
        GridState(tensors: state.tensors.filter { names.tensors[$0.key] != nil },
                  routers: state.routers.filter { names.routers[$0.key] != nil }).floats(on: grid)
    }

    /// Forgets cached states (the next rebuild reads everything from the repo).
    public func clearCaches() {
        stateCache.removeAll()
        treeStateCache.removeAll()
        blobCache = [:]
        blobCacheBytes = 0
        lastConverted = [:]
    }
}
