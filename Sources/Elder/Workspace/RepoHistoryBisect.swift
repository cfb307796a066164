import ElderStore

extension RepoHistory {
    /// The bisection kept in this repo (`Bisection`: git's `refs/bisect/*` plus Elder's log), if any.
    public func bisection() throws -> Bisection? { try Bisection.resume(in: repository) }

    /// The bisection in progress, or `notBisecting`.
    func bisectionInProgress() throws -> Bisection {
        guard let bisection = try bisection() else { throw WorkspaceError.notBisecting }
        return bisection
    }

    /// Starts a bisection with a bad revision and good ones (ending any in progress) and returns the first
    /// step; nil when no good revision was given (it waits for `bisectMark(.good, …)`).
    @discardableResult
    public func bisectStart(bad: String, good: [String]) throws -> BisectStep? {
        let bisection = try Bisection.start(in: repository, bad: try resolve(bad), good: try good.map(resolve))
        return good.isEmpty ? nil : try bisection.next()
    }

    /// Marks `revision` — or, when nil, the commit now waiting to be tested — and returns the next step.
    @discardableResult
    public func bisectMark(_ verdict: BisectVerdict, _ revision: String? = nil) throws -> BisectStep {
        let bisection = try bisectionInProgress()
        if let revision { return try bisection.mark(verdict, try resolve(revision)) }
        guard let commit = try bisection.next().commitToTest else { throw WorkspaceError.nothingToTest }
        return try bisection.mark(verdict, commit)
    }

    /// The next step of the bisection in progress.
    public func bisectNext() throws -> BisectStep {
        try bisectionInProgress().next()
    }

    /// The marks made so far, oldest first.
    public func bisectLog() throws -> [BisectLogEntry] {
        try bisectionInProgress().log()
    }

    /// Ends the bisection; false when none was in progress (nothing to do).
    @discardableResult
    public func bisectReset() throws -> Bool {
        guard let bisection = try bisection() else { return false }
        try bisection.reset()
        return true
    }
}
