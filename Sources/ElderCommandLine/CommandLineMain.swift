import ArgumentParser
import Foundation

/// How `elder` and `elder-bench` run: parse, run, and turn any error into one line on standard error and
/// git's exit status (usage errors: 128; `--help` and `--version`: 0).
public enum CommandLineMain {
    public static func run<Root: ParsableCommand>(_ root: Root.Type) async {
        do {
            var command = try Root.parseAsRoot()
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
            let status = Root.exitCode(for: error)
            if status == .success {
                Root.exit(withError: error)  // --help, --version: ArgumentParser prints them
            } else if status == .validationFailure {
                let usage = Root.fullMessage(for: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(error)"
                let name = Root.configuration.commandName ?? "elder"
                report(.fatal(usage.replacingOccurrences(of: "Error: ", with: "") + " (see `\(name) help`)"))
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
