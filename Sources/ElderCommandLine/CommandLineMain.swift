import ArgumentParser
import Foundation

/// How `elder` and `elder-bench` run: parse, run, and turn any error into one line on standard error and
/// git's exit status (usage errors: 128; `--help` and `--version`: 0).
public enum CommandLineMain {
    public static func run<Root: ParsableCommand>(_ root: Root.Type) async {
        if let bad = invalidArgument() {
            report(.fatal("argument \(bad) is not valid UTF-8 (Swift would turn it into U+FFFD and commit that): "
                + "give text in UTF-8 (check the encoding of the terminal or the script)"))
        }
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

    /// The position of the first command-line argument that is not valid UTF-8, if any (read from the raw
    /// argv: `CommandLine.arguments` has already replaced bad bytes).
    static func invalidArgument() -> Int? {
        for i in 1..<Int(CommandLine.argc) {
            guard let p = CommandLine.unsafeArgv[i] else { continue }
            let bytes = UnsafeRawBufferPointer(start: p, count: strlen(p))
            if String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) == nil { return i }
        }
        return nil
    }

    private static func report(_ failure: CLIFailure) -> Never {
        let prefix = failure.kind == .fatal ? "fatal: " : "error: "
        FileHandle.standardError.write(Data((Console.standardError.red(prefix) + failure.message + "\n").utf8))
        Foundation.exit(failure.exitStatus)
    }
}
