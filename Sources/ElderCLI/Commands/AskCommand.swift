import ArgumentParser
import Elder
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
            let workspace = try repo.openWorkspace()
            let answer = try workspace.ask(prompt, at: rev, maxTokens: maxTokens)
            let report = Report(commit: answer.commit.hex, prompt: prompt, answer: answer.text, tokens: answer.tokens,
                                routing: answer.routing)
            try console.emit(report) {
                var lines = [console.dim(prompt) + console.bold(answer.text)]
                if explain { lines += Self.explanation(answer.routing, console: console) }
                return lines.joined(separator: "\n")
            }
        }

        /// The routing decision in a few lines.
        static func explanation(_ routing: RoutingExplanation?, console: Console) -> [String] {
            guard let r = routing else { return ["routing: this method has no router (every prompt goes through the adapter)"] }
            var distance: [String] = []
            if let s = r.similarity { distance.append(String(format: "similarity %.3f", s)) }
            if let m = r.margin {
                var text = String(format: "margin %.3f", m)
                if let need = r.requiredMargin { text += String(format: " (needs ≥ %.3f)", need) }
                distance.append(text)
            }
            if let d = r.hammingDistance {
                distance.append("Hamming distance \(d)" + (r.epsilon.map { " (fires at ≤ \($0))" } ?? ""))
            }
            let measured = distance.isEmpty ? "" : ": " + distance.joined(separator: ", ")
            var lines: [String] = []
            if r.fired {
                let edit = r.matchedEdit.map { "edit \(console.cyan($0))" } ?? "no single edit"
                lines.append("routing: " + console.green("adapter fired") + ", matched \(edit)\(measured)")
                for layer in r.layers {
                    let experts = zip(layer.experts, layer.weights).map { String(format: "LoRA %d (%.2f)", $0, $1) }
                    lines.append("  layer \(layer.layer): " + experts.joined(separator: ", "))
                }
            } else {
                lines.append("routing: " + console.yellow("deferred to the base model") + " (no committed edit is close enough)\(measured)")
            }
            return lines
        }
    }
}
