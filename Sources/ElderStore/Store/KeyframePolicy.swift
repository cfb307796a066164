/// When a commit writes a keyframe.
///
/// A fixed interval (`keyframeReplayRatio` nil) writes one every K first-parent commits. That is a poor fit
/// for a mixture adapter: once most LoRAs have been touched, a keyframe costs about the whole adapter
/// (~8 MB for SmolLM2 with 128 LoRAs per layer) while an edit's delta costs ~80 KB, so K = 32 spent three
/// times more on keyframes than on the edits themselves. The adaptive policy writes a keyframe when
/// replaying the deltas since the last one would read as many bytes as the keyframe itself (times the
/// ratio): keyframes then cost about as much as the deltas in total, and a rebuild reads at most about twice
/// one keyframe. Early in a history, when the sum is small, keyframes come often and cost little.
/// K stays an upper bound on the distance. Readers do not depend on the policy: every tree names the
/// depth of the keyframe it carries.
extension KnowledgeStore {
    /// Whether the commit at `depth`, whose own delta packs take `deltaBytes`, writes a keyframe; `carried`
    /// is the keyframe its first parent's tree carries.
    func writesKeyframe(depth: Int, parent: ObjectID, carried: KeyframeRef, deltaBytes: Int) throws -> Bool {
        guard let ratio = options.keyframeReplayRatio else { return depth % options.keyframeInterval == 0 }
        if depth - carried.depth >= options.keyframeInterval { return true }
        let replay = try replayBytes(from: parent, depth: depth - 1, downTo: carried.depth) + deltaBytes
        return Double(replay) >= ratio * Double(try sumBytes(carried.sum))
    }

    /// Bytes of the delta packs of the first-parent commits from `commit` (at `depth`) down to (not
    /// including) the commit at `keyframeDepth`: what a rebuild of `commit` reads after its keyframe.
    /// Cached per commit.
    func replayBytes(from commit: ObjectID, depth: Int, downTo keyframeDepth: Int) throws -> Int {
        var chain: [(ObjectID, Int)] = []
        var cursor = commit
        var depth = depth
        var total = 0
        while depth > keyframeDepth {
            if let hit = replayCache[cursor] { total = hit; break }
            let c = try Commit.lookup(cursor, in: repository)
            chain.append((cursor, try deltaBytes(tree: try c.tree())))
            guard let parent = c.parentIDs.first else { break }
            cursor = parent
            depth -= 1
        }
        if replayCache.count > 100_000 { replayCache = [:] }
        for (id, bytes) in chain.reversed() {
            total += bytes
            replayCache[id] = total
        }
        return total
    }

    /// Sizes of a commit's delta packs (`delta/adapter.bin`, `router/router.bin`), read from object headers.
    private func deltaBytes(tree: Tree) throws -> Int {
        var total = 0
        for (dir, pack) in [(RepoFormat.deltaDir, Self.adapterPack), (RepoFormat.routerDir, Self.routerPack)] {
            guard let entry = try tree.subtree(named: dir)?.entry(named: pack) else { continue }
            total += try repository.blobSize(entry.id)
        }
        return total
    }

    /// Bytes of every pack in a keyframe sum (0 without one), cached by tree id.
    private func sumBytes(_ sum: ObjectID?) throws -> Int {
        guard let sum else { return 0 }
        if let hit = sumBytesCache[sum] { return hit }
        func walk(_ id: ObjectID) throws -> Int {
            var total = 0
            for entry in try Tree.lookup(id, in: repository).entries {
                switch entry.kind {
                case .blob: total += try repository.blobSize(entry.id)
                case .tree: total += try walk(entry.id)
                case .other: throw StoreError.corrupt(what: "keyframe/sum", reason: "unexpected entry '\(entry.name)'")
                }
            }
            return total
        }
        let total = try walk(sum)
        if sumBytesCache.count > 1_000 { sumBytesCache = [:] }
        sumBytesCache[sum] = total
        return total
    }
}
