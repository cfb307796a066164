import Foundation

/// The knowledge repo's hooks, as git has them: executables in the repo's `hooks/` folder, run only when
/// present and executable. `pre-edit` may reject an edit, `commit-msg` may rewrite or reject its message,
/// `post-commit` is told about the commit (its failure only warns).
///
/// STUB (lead, 06:40): the API the edit command calls; the "remote" helper implements it.
public struct Hooks: Sendable {
    /// The repo's git dir (hooks live in `<repo>/hooks`).
    public var repoPath: String

    public init(repoPath: String) { self.repoPath = repoPath }

    /// Runs `pre-edit PROMPT TARGET` (the request as JSON in `ELDER_EDIT_JSON`); throws `HookError.rejected`
    /// when it exits non-zero, before anything is trained.
    public func preEdit(prompt: String, target: String, requestJSON: String) throws {}

    /// Runs `commit-msg FILE` on the message; returns the message as the hook left it; throws
    /// `HookError.rejected` when it exits non-zero.
    public func commitMessage(_ message: String) throws -> String { message }

    /// Runs `post-commit COMMIT EDIT-ID`; returns a warning line when it failed (the commit stands).
    public func postCommit(commit: String, editID: String) -> String? { nil }
}

/// A hook said no.
public enum HookError: Error, CustomStringConvertible, Sendable, Equatable {
    case rejected(hook: String, status: Int32, output: String)

    public var description: String {
        switch self {
        case let .rejected(hook, status, output):
            let reason = output.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
            return "the \(hook) hook rejected this (exit \(status))\(reason.isEmpty ? "" : ": " + reason); "
                + "fix what it says, or bypass hooks with --no-verify"
        }
    }
}
