import ElderCommandLine
import Foundation

/// What git accepts on its command line that swift-argument-parser does not, turned into what it does, before
/// parsing: `elder -C DIR SUBCOMMAND …` (git's global option: run as if started in DIR; repeatable, each
/// relative to the previous) and `elder log -n5` / `elder log -5` (git's `-<n>`) as `-n 5`.
enum GitStyleArguments {
    /// The arguments after the program name, with leading `-C DIR` pairs applied (the process changes its
    /// working folder) and removed.
    static func apply(_ arguments: [String]) throws -> [String] {
        var rest = arguments[...]
        while rest.first == "-C" {
            rest.removeFirst()
            guard let directory = rest.first else { throw CLIFailure.fatal("-C needs a folder: elder -C DIR SUBCOMMAND") }
            rest.removeFirst()
            // As git: an empty DIR is a no-op.
            if directory.isEmpty { continue }
            guard FileManager.default.changeCurrentDirectoryPath(directory) else {
                throw CLIFailure.fatal("cannot change to '\(directory)': give -C an existing folder")
            }
        }
        return logCounts(Array(rest))
    }

    /// In `log`'s arguments, `-nN` and `-N` become `-n N` (before a `--`).
    static func logCounts(_ arguments: [String]) -> [String] {
        guard let index = arguments.firstIndex(where: { !$0.hasPrefix("-") }), arguments[index] == "log" else { return arguments }
        var out = Array(arguments[...index])
        var ended = false
        for argument in arguments[(index + 1)...] {
            if argument == "--" { ended = true }
            if !ended, argument.hasPrefix("-"), !argument.hasPrefix("--") {
                let body = argument.dropFirst()
                if body.count > 1, body.first == "n", body.dropFirst().allSatisfy(\.isASCII), Int(body.dropFirst()) != nil {
                    out += ["-n", String(body.dropFirst())]
                    continue
                }
                if !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }) {
                    out += ["-n", String(body)]
                    continue
                }
            }
            out.append(argument)
        }
        return out
    }
}
