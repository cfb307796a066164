import ArgumentParser
import Elder
import ElderCommandLine
import ElderEditing
import Foundation

extension ElderCommand {
    /// `elder ask PROMPT`: the greedy answer of a version of the model, and why the adapter acted or not.
    struct Ask: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask the model: its greedy answer at HEAD (or --rev), and with --explain why.",
            discussion: """
                The explanation says whether the prompt was close enough to a committed edit for the adapter \
                to fire (the deferral's similarity and margin, or Hamming distance), which edit it matched, \
                and which LoRA experts each adapted layer used with what weight. --json always includes it.
                Examples:
                  elder ask "The capital of France is"
                  elder ask "The capital of France is" --explain
                  elder ask "The capital of France is" --rev HEAD~1 --max-tokens 8 --json
                """)

        @Argument(help: ArgumentHelp("The text the model completes.", valueName: "PROMPT"))
        var prompt: String

        @Option(name: .long, help: ArgumentHelp("Tokens to generate at most.", valueName: "N"))
        var maxTokens: Int = 16

        @Option(name: .long, help: ArgumentHelp("The version to ask (commit, branch, tag, HEAD~n).", valueName: "REV"))
        var rev: String = "HEAD"

        @Flag(name: .long, help: "Explain the routing: deferral distance, matched edit, LoRAs per layer.")
        var explain = false

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var commit: String
            var prompt: String
            var answer: String
            var tokens: [Int]
            var routing: RoutingExplanation?
        }

        func validate() throws {
            guard (1...4096).contains(maxTokens) else { throw ValidationError("--max-tokens must be between 1 and 4096") }
        }

        func run() throws {
            let console = output.console
            _ = try repo.repoPath()
            // One version rebuilt once: the store keeps no states, so the version is held once, as floats.
            let workspace = try repo.openWorkspace(storeCacheCapacity: 0)
            let answer = try workspace.ask(prompt, at: rev, maxTokens: maxTokens)
            let report = Report(commit: answer.commit.hex, prompt: prompt, answer: answer.text, tokens: answer.tokens,
                                routing: answer.routing)
            try console.emit(report) {
                // The answer as generated; trailing blank lines would only push the explanation away.
                var text = answer.text
                while text.last?.isNewline == true { text.removeLast() }
                var lines = [console.dim(prompt) + console.bold(text)]
                if explain { lines += Self.explanation(answer.routing, console: console) }
                return lines.joined(separator: "\n")
            }
        }

        /// The routing decision in a few lines (`RoutingDescription`), coloured for the console.
        static func explanation(_ routing: RoutingExplanation?, console: Console) -> [String] {
            RoutingDescription.lines(routing, marks: RoutingDescription.Marks(
                pass: { console.green($0) }, fail: { console.red($0) }, deferral: { console.yellow($0) }, name: { console.cyan($0) }))
        }
    }
}
