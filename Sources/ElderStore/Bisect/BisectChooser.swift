/// Picks the next commit to test the way git 2.39's bisect.c does (`find_bisection`,
/// `best_bisection`, `managed_skipped`, `skip_away`), re-derived in Swift over a `BisectGraph`.
///
/// Each candidate's weight is the number of candidates it reaches (itself included); the best commit
/// maximises min(weight, N − weight). Without skip marks git walks the candidates oldest-first (the
/// reversed walk order), returns early the first commit found "halfway" (|2w − N| ≤ 1, or < N/1024),
/// and otherwise the first commit with the best distance. With any skip mark it ranks every candidate
/// by distance (descending), then object id (ascending); when the top one is skipped it takes a
/// pseudo-random commit among the untested ones, biased towards the top (`skip_away`, deterministic).
enum BisectChooser {
    /// The ranked outcome of `find_bisection`: the best commit(s), the weight of the first, and N.
    struct Ranking {
        var list: [Int]
        var reaches: Int
        var all: Int
    }

    /// `find_bisection` on the candidates in git's list order (oldest first). With `findAll`, the
    /// whole ranked list; else the single best commit.
    static func findBisection(_ graph: BisectGraph, findAll: Bool) -> Ranking {
        let list = Array(graph.walkOrder().reversed())
        let nr = list.count
        guard nr > 0 else { return Ranking(list: [], reaches: 0, all: 0) }
        var weight = [Int](repeating: 0, count: graph.count)
        var counted = 0
        func halfway(_ p: Int) -> Bool {
            let diff = 2 * weight[p] - nr
            return abs(diff) <= 1 || abs(diff) < nr / 1024
        }
        func single(_ p: Int) -> Ranking { Ranking(list: [p], reaches: weight[p], all: nr) }

        for p in list {
            switch graph.parents[p].count {
            case 0: weight[p] = 1; counted += 1
            case 1: weight[p] = -1
            default: weight[p] = -2
            }
        }
        // Merges: count their reach outright.
        for p in list where weight[p] == -2 {
            weight[p] = graph.ancestorCount(of: p)
            if !findAll && halfway(p) { return single(p) }
            counted += 1
        }
        // Strands of single-parent commits: one more than the parent, in passes over the list.
        while counted < nr {
            var progressed = false
            for p in list where weight[p] < 0 {
                guard let q = graph.parents[p].first(where: { weight[$0] >= 0 }) else { continue }
                weight[p] = weight[q] + 1
                counted += 1
                progressed = true
                if !findAll && halfway(p) { return single(p) }
            }
            if !progressed { break }  // unreachable for a DAG; guards against a malformed graph
        }
        func distance(_ p: Int) -> Int { min(weight[p], nr - weight[p]) }

        if !findAll {
            var best = list[0]
            var bestDistance = -1
            for p in list where distance(p) > bestDistance {
                best = p
                bestDistance = distance(p)
            }
            return single(best)
        }
        let ranked = list.sorted { a, b in
            let da = distance(a), db = distance(b)
            return da != db ? da > db : graph.ids[a] < graph.ids[b]
        }
        return Ranking(list: ranked, reaches: weight[ranked[0]], all: nr)
    }

    /// The next step given the candidates, the bad commit and every commit marked skip.
    static func step(_ graph: BisectGraph, bad: ObjectID, skipped: Set<ObjectID>) throws -> BisectStep {
        let ranking = findBisection(graph, findAll: !skipped.isEmpty)
        var list = ranking.list.map { graph.ids[$0] }
        var tried: [ObjectID] = []
        if !skipped.isEmpty, let first = list.first, skipped.contains(first) {
            // `filter_skipped` (the head is skipped): keep the untested ones in rank order.
            tried = list.filter { skipped.contains($0) }
            list = list.filter { !skipped.contains($0) }
            if !list.isEmpty { list = [skipAway(list, bad: bad)] }
        } else if let first = list.first {
            list = [first]
        }
        guard let chosen = list.first else {
            if !tried.isEmpty { return .onlySkippedLeft(tried) }
            throw BisectError.bothGoodAndBad(bad)
        }
        if chosen == bad {
            return tried.isEmpty ? .firstBad(bad) : .onlySkippedLeft(tried + [bad])
        }
        return .test(chosen, remaining: ranking.all - ranking.reaches - 1, steps: estimatedSteps(ranking.all))
    }

    /// git's `skip_away`: an index drawn from a fixed pseudo-random function of the list length,
    /// skewed towards the start (the best untested commits); never the bad commit when another exists.
    static func skipAway(_ list: [ObjectID], bad: ObjectID) -> ObjectID {
        let count = Int32(truncatingIfNeeded: list.count)
        let prn = Int32(truncatingIfNeeded: pseudoRandom(UInt32(truncatingIfNeeded: list.count)))
        let index = Int((count &* prn / prnModulo) &* squareRoot(prn) / squareRoot(prnModulo))
        guard index >= 0, index < list.count else { return list[0] }
        if list[index] != bad { return list[index] }
        return index > 0 ? list[index - 1] : list[0]
    }

    static let prnModulo: Int32 = 32768

    /// git's `get_prn`: one step of the `man 3 rand` generator seeded with `count`.
    static func pseudoRandom(_ count: UInt32) -> UInt32 {
        let next = count &* 1_103_515_245 &+ 12345
        return (next / 65536) % UInt32(prnModulo)
    }

    /// git's `sqrti`: Newton iterations in single precision, truncated.
    static func squareRoot(_ value: Int32) -> Int32 {
        if value == 0 { return 0 }
        var x = Float(value)
        var d: Float
        repeat {
            let y = (x + Float(value) / x) / 2
            d = y > x ? y - x : x - y
            x = y
        } while d >= 0.5
        return Int32(x)
    }

    /// git's `estimate_bisect_steps`: tests left after the current one for `all` candidates.
    static func estimatedSteps(_ all: Int) -> Int {
        if all < 3 { return 0 }
        var n = 0
        while (1 << (n + 1)) <= all { n += 1 }
        let e = 1 << n
        let x = all - e
        return e < 3 * x ? n : n - 1
    }
}
