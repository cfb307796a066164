import ArgumentParser
import Elder
import ElderEditing
import ElderEval
import ElderModel
import ElderStore
import Foundation

/// A command's failure as the user sees it: one line saying what went wrong and what to do, and git's
/// exit status — 128 when the command could not start (not a repo, unknown revision, bad arguments or
/// input files), 1 when it ran and failed (a conflict, a rejected edit, a probe that fails).
struct CLIFailure: Error, CustomStringConvertible {
    enum Kind { case fatal, failure }
    var kind: Kind
    var message: String
    var description: String { message }

    static func fatal(_ message: String) -> CLIFailure { CLIFailure(kind: .fatal, message: message) }
    static func failure(_ message: String) -> CLIFailure { CLIFailure(kind: .failure, message: message) }

    var exitStatus: Int32 { kind == .fatal ? 128 : 1 }

    /// The failure an error from any layer amounts to.
    static func from(_ error: Error) -> CLIFailure {
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
            case .editNotLive, .editAlreadyLive, .probesBroken: return false
            default: return true
            }
        case let e as GitError: return [.notFound, .ambiguous, .invalidSpec, .peel].contains(e.code)
        case is EditFileError, is ConfigurationError, is RefError, is ContextLimitError, is ModelLocatorError, is CheckpointError: return true
        case is HookError: return false
        case let e as RemoteError: return e.isUsageError
        case is ExportError: return true
        default: return false
        }
    }
}

extension ElderCommand {
    /// Runs the command line: parses, runs, and turns any error into one line on standard error and
    /// git's exit status (usage errors: 128; `--help` and `--version`: 0).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let failure as CLIFailure {
            report(failure)
        } catch {
            let status = exitCode(for: error)
            if status == .success {
                self.exit(withError: error)  // --help, --version: ArgumentParser prints them
            } else if status == .validationFailure {
                let usage = fullMessage(for: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(error)"
                report(.fatal(usage.replacingOccurrences(of: "Error: ", with: "") + " (see `elder help`)"))
            } else {
                report(.from(error))
            }
        }
    }

    private static func report(_ failure: CLIFailure) -> Never {
        let prefix = failure.kind == .fatal ? "fatal: " : "error: "
        FileHandle.standardError.write(Data((Console.standardError.red(prefix) + failure.message + "\n").utf8))
        Foundation.exit(failure.exitStatus)
    }
}
