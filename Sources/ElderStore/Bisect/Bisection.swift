import Foundation

/// A binary search over the commit graph for the first bad commit, as `git bisect` does it (libgit2
/// has none). Model-free: verdicts come from the caller (`mark`) or a closure (`run`). The state lives
/// in the repository (`BisectState`: git's `refs/bisect/*` plus a log), so a bisection started by one
/// command or process can be resumed by another, and by `git bisect` itself.
///
/// The next commit is chosen exactly as git 2.39 chooses it (`BisectChooser`), merges included.
/// Differences from git: no work tree is touched (like `git bisect start --no-checkout`, without
/// `BISECT_HEAD`), there are no terms other than good/bad, no pathspecs, no `--first-parent`; when some
/// good commit is not an ancestor of the bad one, merge bases come from libgit2's
/// `git_merge_bases_many` (git's algorithm; the order of several merge bases may differ).
/// One instance is not thread-safe (it owns a commit cache and uses one `Repository`).
public final class Bisection: @unchecked Sendable {
    public let repository: Repository
    let cache = CommitParentsCache()

    private init(repository: Repository) { self.repository = repository }

    /// Starts a bisection (ending any one in progress, as `git bisect start` does) with a bad commit
    /// and good ones, each a revspec (`HEAD~3`, a branch, an id).
    @discardableResult
    public static func start(in repository: Repository, bad: String, good: [String]) throws -> Bisection {
        let badID = try repository.resolveCommit(bad)
        let goodIDs = try good.map { try repository.resolveCommit($0) }
        return try start(in: repository, bad: badID, good: goodIDs)
    }

    @discardableResult
    public static func start(in repository: Repository, bad: ObjectID, good: [ObjectID]) throws -> Bisection {
        for id in [bad] + good { _ = try Commit.lookup(id, in: repository) }
        try BisectState.locked(repository) {
            try BisectState.clear(repository)
            try BisectState.appendLog(repository, BisectLogEntry(kind: .start, commits: [bad] + good))
            try repository.setReference(BisectState.badRef, to: bad, force: true, logMessage: "bisect start")
            for id in good {
                try repository.setReference(BisectState.refName(for: .good, id), to: id, force: true, logMessage: "bisect start")
            }
        }
        return Bisection(repository: repository)
    }

    /// The bisection in progress in `repository`, or nil when there is none.
    public static func resume(in repository: Repository) throws -> Bisection? {
        try BisectState.exists(repository) ? Bisection(repository: repository) : nil
    }

    // MARK: marks

    /// The current marks: the bad commit, the good ones and the skipped ones (by ref name order).
    public func marks() throws -> (bad: ObjectID?, good: [ObjectID], skipped: [ObjectID]) {
        let state = try BisectState.read(repository)
        return (state.bad, state.goods, state.skipped)
    }

    /// Records `verdict` for the commit `revspec` names, then returns the next step.
    @discardableResult
    public func mark(_ verdict: BisectVerdict, _ revspec: String) throws -> BisectStep {
        try mark(verdict, try repository.resolveCommit(revspec))
    }

    /// Records `verdict` for `commit` (a new bad commit replaces the old one), then returns the next step.
    @discardableResult
    public func mark(_ verdict: BisectVerdict, _ commit: ObjectID) throws -> BisectStep {
        _ = try Commit.lookup(commit, in: repository)
        try BisectState.locked(repository) {
            guard try BisectState.exists(repository) else { throw BisectError.notStarted }
            try repository.setReference(BisectState.refName(for: verdict, commit), to: commit, force: true,
                                        logMessage: "bisect \(verdict.rawValue)")
            let kind: BisectLogEntry.Kind = switch verdict { case .good: .good; case .bad: .bad; case .skip: .skip }
            try BisectState.appendLog(repository, BisectLogEntry(kind: kind, commits: [commit]))
        }
        return try next()
    }

    /// The marks in the order they were made, the `start` entry first (Elder's log; a bisection begun
    /// by `git bisect` has refs but no Elder log).
    public func log() throws -> [BisectLogEntry] { try BisectState.readLog(repository) }

    /// Ends the bisection: removes the `refs/bisect/` refs, the log and the marker files.
    public func reset() throws {
        try BisectState.locked(repository) { try BisectState.clear(repository) }
        try? FileManager.default.removeItem(atPath: BisectState.path(repository, BisectState.logFile) + ".lock")
    }

    // MARK: choosing

    /// The next commit to test, or the outcome, from the marks now in the repository.
    public func next() throws -> BisectStep {
        let state = try BisectState.read(repository)
        guard let bad = state.bad, !state.goods.isEmpty else {
            if try !BisectState.exists(repository) { throw BisectError.notStarted }
            throw BisectError.needsBadAndGood(hasBad: state.bad != nil, goodCount: state.goods.count)
        }
        if let mergeBase = try checkGoodsAreAncestors(of: bad, state) { return .testMergeBase(mergeBase) }
        let graph = try BisectGraph.load(repository, bad: bad, goods: state.goods, cache: cache)
        return try BisectChooser.step(graph, bad: bad, skipped: Set(state.skipped))
    }

    /// The commits still in question: reachable from the bad commit and from no good one, skipped
    /// ones included, newest first (what `git bisect visualize` shows).
    public func candidates() throws -> [ObjectID] {
        let state = try BisectState.read(repository)
        guard let bad = state.bad else { throw BisectError.needsBadAndGood(hasBad: false, goodCount: state.goods.count) }
        let graph = try BisectGraph.load(repository, bad: bad, goods: state.goods, cache: cache)
        return graph.walkOrder().map { graph.ids[$0] }
    }

    /// git's `check_good_are_ancestors_of_bad`: when some good commit is not an ancestor of the bad
    /// one, a merge base that is neither good nor skipped must be tested first (returned); a bad merge
    /// base is an error. Once passed, the check is not repeated until `reset` (git's ANCESTORS_OK).
    private func checkGoodsAreAncestors(of bad: ObjectID, _ state: BisectState) throws -> ObjectID? {
        if BisectState.hasAncestorsOK(repository) { return nil }
        var allAncestors = true
        for good in state.goods where good != bad {
            if try !repository.isDescendant(bad, of: good) { allAncestors = false; break }
        }
        if !allAncestors {
            for base in try repository.mergeBases(of: bad, with: state.goods) {
                if base == bad { throw BisectError.badIsAncestorOfGood(bad: bad, goods: state.goods) }
                if state.goods.contains(base) || state.skipped.contains(base) { continue }
                return base
            }
        }
        BisectState.setAncestorsOK(repository)
        return nil
    }

    // MARK: automatic run

    /// Tests commits with `decide` until the bisection ends (`git bisect run`), returning the final
    /// step (`.firstBad` or `.onlySkippedLeft`). Map a test command's exit status with
    /// `BisectVerdict(exitCode:)`. Errors thrown by `decide` stop the run with the marks made so far kept.
    @discardableResult
    public func run(maxTests: Int = 100_000, decide: (ObjectID) throws -> BisectVerdict) throws -> BisectStep {
        var step = try next()
        var tests = 0
        while let commit = step.commitToTest {
            guard tests < maxTests else { throw BisectError.tooManySteps(tests) }
            tests += 1
            step = try mark(try decide(commit), commit)
        }
        return step
    }
}
