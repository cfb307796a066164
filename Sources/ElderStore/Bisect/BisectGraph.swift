/// The candidates of a bisection — commits reachable from the bad commit and from no good one — with
/// their parents inside that set and their committer dates, loaded once per step through libgit2.
/// Indices are positions in `ids`; parents outside the set (ancestors of a good commit) are dropped,
/// as git's bisection ignores UNINTERESTING parents.
struct BisectGraph {
    let ids: [ObjectID]
    let index: [ObjectID: Int]
    /// Candidate parents of each candidate, in parent order.
    let parents: [[Int]]
    /// Committer time (git's `commit->date`).
    let dates: [Int64]
    /// The bad commit's index, nil when it is itself an ancestor of a good commit.
    let bad: Int?

    var count: Int { ids.count }

    /// The exact candidate set: every ancestor of the good commits is walked first, then the bad
    /// commit's ancestors short of those. (libgit2's hiding walk prunes by commit date and can keep an
    /// ancestor of a good commit when dates are skewed; git's own walk has a similar date heuristic,
    /// `still_interesting` with 5 commits of slop, so under heavy skew git may differ — we are exact.)
    static func load(_ repository: Repository, bad: ObjectID, goods: [ObjectID], cache: CommitParentsCache) throws -> BisectGraph {
        var excluded = Set<ObjectID>()
        var stack = goods.filter { excluded.insert($0).inserted }
        while let c = stack.popLast() {
            for p in try cache.entry(c, in: repository).parents where excluded.insert(p).inserted { stack.append(p) }
        }
        var ids: [ObjectID] = []
        if !excluded.contains(bad) {
            var seen: Set<ObjectID> = [bad]
            stack = [bad]
            while let c = stack.popLast() {
                ids.append(c)
                for p in try cache.entry(c, in: repository).parents where !excluded.contains(p) && seen.insert(p).inserted {
                    stack.append(p)
                }
            }
        }
        var index: [ObjectID: Int] = [:]
        index.reserveCapacity(ids.count)
        for (i, id) in ids.enumerated() { index[id] = i }
        var parents: [[Int]] = []
        var dates: [Int64] = []
        parents.reserveCapacity(ids.count)
        dates.reserveCapacity(ids.count)
        for id in ids {
            let entry = try cache.entry(id, in: repository)
            parents.append(entry.parents.compactMap { index[$0] })
            dates.append(entry.time)
        }
        return BisectGraph(ids: ids, index: index, parents: parents, dates: dates, bad: index[bad])
    }

    /// The candidates in the order git's limited revision walk emits them (`limit_list`): start at the
    /// bad commit; repeatedly take the head of a list kept sorted by date, newest first, and insert
    /// each parent not seen yet after every entry at least as new (so equal dates keep arrival order).
    /// Only candidates are tracked: excluded commits never change the relative order of candidates.
    func walkOrder() -> [Int] {
        guard let bad else { return [] }
        var seen = [Bool](repeating: false, count: count)
        seen[bad] = true
        var pending = [bad]
        var head = 0
        var out: [Int] = []
        out.reserveCapacity(count)
        while head < pending.count {
            let commit = pending[head]
            head += 1
            out.append(commit)
            for parent in parents[commit] where !seen[parent] {
                seen[parent] = true
                let date = dates[parent]
                var at = head
                while at < pending.count, dates[pending[at]] >= date { at += 1 }
                pending.insert(parent, at: at)
            }
            if head > 4096 { pending.removeFirst(head); head = 0 }
        }
        return out
    }

    /// How many candidates `commit` reaches, itself included (git's `count_distance`).
    func ancestorCount(of commit: Int) -> Int {
        var visited = [Bool](repeating: false, count: count)
        var stack = [commit]
        visited[commit] = true
        var n = 0
        while let c = stack.popLast() {
            n += 1
            for p in parents[c] where !visited[p] {
                visited[p] = true
                stack.append(p)
            }
        }
        return n
    }
}

/// Parents and committer time of commits read so far, kept by a `Bisection` across its steps
/// (commits never change, so entries never go stale).
final class CommitParentsCache {
    private var entries: [ObjectID: (parents: [ObjectID], time: Int64)] = [:]

    func entry(_ id: ObjectID, in repository: Repository) throws -> (parents: [ObjectID], time: Int64) {
        if let hit = entries[id] { return hit }
        let commit = try Commit.lookup(id, in: repository)
        let entry = (parents: commit.parentIDs, time: commit.time)
        entries[id] = entry
        return entry
    }
}
