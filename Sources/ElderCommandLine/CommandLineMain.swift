import ArgumentParser
import Foundation

/// How `elder` and `elder-bench` run: parse, run, and turn any error into one line on standard error and
/// git's exit status (usage errors: 128; `--help` and `--version`: 0). With `--json` the error is also a
/// JSON document on standard output (`JSONError`), unless the command already printed its own document.
public enum CommandLineMain {
    /// `rewriting` turns the arguments into what the parser takes (git's `-C DIR`, …); its failure is reported
    /// like any other.
    public static func run<Root: ParsableCommand>(_ root: Root.Type,
                                                  rewriting rewrite: @escaping ([String]) throws -> [String] = { $0 }) async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let json = JSONError.requested(by: arguments)
        if let bad = invalidArgument() {
            report(.fatal("argument \(bad) is not valid UTF-8 (Swift would turn it into U+FFFD and commit that): "
                + "give text in UTF-8 (check the encoding of the terminal or the script)"), json: json)
        }
        do {
            var command = try Root.parseAsRoot(try rewrite(arguments))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let failure as CLIFailure {
            report(failure, json: json)
        } catch {
            let status = Root.exitCode(for: error)
            if status == .success {
                Root.exit(withError: error)  // --help, --version: ArgumentParser prints them
            } else if status == .validationFailure {
                let usage = Root.fullMessage(for: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(error)"
                let name = Root.configuration.commandName ?? "elder"
                report(.fatal(usage.replacingOccurrences(of: "Error: ", with: "") + " (see `\(name) help`)"), json: json)
            } else {
                report(.from(error), json: json)
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

    private static func report(_ failure: CLIFailure, json: JSONError.Output) -> Never {
        if json != .none, !Console.printedDocument {
            let document = JSONError(error: .init(kind: failure.kind == .fatal ? "fatal" : "failure", message: failure.message,
                                                  exitStatus: failure.exitStatus))
            let encoder = JSONEncoder()
            encoder.outputFormatting = json == .lines ? [.sortedKeys, .withoutEscapingSlashes]
                : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            if let data = try? encoder.encode(Versioned(document)) { FileHandle.standardOutput.write(data + Data("\n".utf8)) }
        }
        let prefix = failure.kind == .fatal ? "fatal: " : "error: "
        FileHandle.standardError.write(Data((Console.standardError.red(prefix) + failure.message + "\n").utf8))
        Foundation.exit(failure.exitStatus)
    }
}

/// A failed command's document with `--json` (docs/schemas/error.schema.json): what went wrong, whether the
/// command could not start (`fatal`, exit 128) or ran and failed (`failure`, exit 1), and the exit status.
struct JSONError: Encodable {
    struct Detail: Encodable {
        var kind: String
        var message: String
        var exitStatus: Int32
    }
    var error: Detail

    enum Output { case none, document, lines }

    /// Whether the command line asks for JSON (`--json`) or JSON Lines (`--json-lines`, before a `--`):
    /// the error is then a pretty document, or one compact line.
    static func requested(by arguments: [String]) -> Output {
        for argument in arguments {
            if argument == "--" { return .none }
            if argument == "--json" { return .document }
            if argument == "--json-lines" { return .lines }
        }
        return .none
    }
}
