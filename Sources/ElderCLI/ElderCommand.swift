import ArgumentParser
import Elder

/// The `elder` command: git for a language model's knowledge.
@main
struct ElderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elder",
        abstract: "Git for a language model's knowledge: edit facts, commit them, log, diff, revert, bisect.",
        version: Elder.version,
        subcommands: [Smoke.self, Generate.self, Tokenize.self, EditSet.self, Bench.self, Debug.self]
    )
}
