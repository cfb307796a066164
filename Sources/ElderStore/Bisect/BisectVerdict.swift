/// The decision about one tested commit, as `git bisect good|bad|skip` takes it.
public enum BisectVerdict: String, Sendable, Hashable, CaseIterable {
    case good, bad, skip

    /// The verdict `git bisect run` draws from a test command's exit status: 0 is good, 125 skip,
    /// any other code from 1 to 127 bad; anything else (128 and above, negative: a crash or a signal)
    /// aborts the bisection with `BisectError.runAborted`.
    public init(exitCode: Int32) throws {
        switch exitCode {
        case 0: self = .good
        case 125: self = .skip
        case 1...127: self = .bad
        default: throw BisectError.runAborted(exitCode: exitCode)
        }
    }
}

/// What a bisection asks for next, or how it ended.
public enum BisectStep: Sendable, Hashable {
    /// Test `commit`; afterwards about `remaining` revisions are left (git's "N revisions left to test
    /// after this") and roughly `steps` more tests (git's estimate).
    case test(ObjectID, remaining: Int, steps: Int)
    /// A merge base of the bad and the good commits must be tested first (some good commit is not
    /// an ancestor of the bad one; git's "a merge base must be tested").
    case testMergeBase(ObjectID)
    /// Done: the first bad commit.
    case firstBad(ObjectID)
    /// Done, undecided: the first bad commit is one of these (skipped commits, then the bad commit),
    /// git's "There are only 'skip'ped commits left to test".
    case onlySkippedLeft([ObjectID])

    /// The commit to test now, nil when the bisection is finished.
    public var commitToTest: ObjectID? {
        switch self {
        case .test(let id, _, _), .testMergeBase(let id): return id
        case .firstBad, .onlySkippedLeft: return nil
        }
    }

    public var isFinished: Bool { commitToTest == nil }
}

/// One mark in a bisection's log.
public struct BisectLogEntry: Sendable, Hashable {
    public enum Kind: String, Sendable { case start, good, bad, skip }
    public let kind: Kind
    /// For `start`: the bad commit then the good ones; for a mark: the marked commit.
    public let commits: [ObjectID]

    public init(kind: Kind, commits: [ObjectID]) {
        self.kind = kind; self.commits = commits
    }
}

/// Why a bisection cannot go on, with the commits involved.
public enum BisectError: Error, CustomStringConvertible, Sendable, Equatable {
    /// No bisection is in progress in this repository.
    case notStarted
    /// `next` needs a bad commit and at least one good one.
    case needsBadAndGood(hasBad: Bool, goodCount: Int)
    /// The bad commit is a merge base of itself and the good ones: it is an ancestor of a good
    /// commit, so the "bug" was fixed between them, or good and bad were mistaken (git exits 3 / 1).
    case badIsAncestorOfGood(bad: ObjectID, goods: [ObjectID])
    /// The bad commit is also good (every candidate is excluded): git's "X was both good and bad".
    case bothGoodAndBad(ObjectID)
    /// A test command's exit status that `git bisect run` treats as an abort (≥ 128 or negative).
    case runAborted(exitCode: Int32)
    /// `run` stopped after this many tests without finishing (a safety bound; should not happen).
    case tooManySteps(Int)
    /// The bisection's log file could not be read or written.
    case logFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .notStarted: return "no bisection is in progress"
        case .needsBadAndGood(let hasBad, let goods):
            return "a bisection needs a bad commit and at least one good one (bad: \(hasBad ? "set" : "missing"), good: \(goods))"
        case .badIsAncestorOfGood(let bad, let goods):
            return "the bad commit \(bad.hex) is an ancestor of the good commits [\(goods.map(\.hex).joined(separator: " "))]: "
                + "the bug was fixed between them, or good and bad were mistaken"
        case .bothGoodAndBad(let id): return "\(id.hex) was both good and bad"
        case .runAborted(let code): return "bisect run aborted: the test command exited with \(code) (not in 0...127)"
        case .tooManySteps(let n): return "bisect run did not finish after \(n) tests"
        case .logFile(let path, let reason): return "bisect log \(path): \(reason)"
        }
    }
}
