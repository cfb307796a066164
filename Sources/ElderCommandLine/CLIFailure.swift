import Elder
import ElderEditing
import ElderModel
import ElderRecords
import ElderStore
import Foundation

/// A command's failure as the user sees it: one line saying what went wrong and what to do, and git's
/// exit status — 128 when the command could not start (not a repo, unknown revision, bad arguments or
/// input files), 1 when it ran and failed (a conflict, a rejected edit, a probe that fails).
public struct CLIFailure: Error, CustomStringConvertible {
    public enum Kind: Sendable { case fatal, failure }
    public var kind: Kind
    public var message: String
    public var description: String { message }

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public static func fatal(_ message: String) -> CLIFailure { CLIFailure(kind: .fatal, message: message) }
    public static func failure(_ message: String) -> CLIFailure { CLIFailure(kind: .failure, message: message) }

    public var exitStatus: Int32 { kind == .fatal ? 128 : 1 }

    /// The failure an error from any layer amounts to.
    public static func from(_ error: Error) -> CLIFailure {
        if let failure = error as? CLIFailure { return failure }
        let line = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        return CLIFailure(kind: isFatal(error) ? .fatal : .failure, message: line)
    }

    /// Errors about what the user gave (where, which revision, which file), as opposed to an operation
    /// that ran and did not succeed.
    private static func isFatal(_ error: Error) -> Bool {
        switch error {
        case let e as WorkspaceError:
            switch e {
            case .editNotLive, .editAlreadyLive, .probesBroken, .editDoesNotHold, .lostRace, .notBisecting, .nothingToTest: return false
            default: return true
            }
        case let e as GitError: return [.notFound, .ambiguous, .invalidSpec, .peel].contains(e.code)
        case is EditFileError, is ConfigurationError, is RefError, is ContextLimitError, is ModelLocatorError, is CheckpointError: return true
        case is HookError: return false
        case let e as RemoteError: return e.isUsageError
        case is ExportError, is IdentityError: return true
        default: return false
        }
    }
}
