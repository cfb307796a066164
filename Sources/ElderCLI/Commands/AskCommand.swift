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
            let workspace = try repo.openWorkspace()
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

        /// The routing decision in a few lines: what fired (or not), each part of the deferral rule with its
        /// threshold, and the LoRAs each adapted layer used.
        static func explanation(_ routing: RoutingExplanation?, console: Console) -> [String] {
            guard let r = routing else { return ["routing: this method has no router (every prompt goes through the adapter)"] }
            func f(_ x: Float) -> String { String(format: "%.3f", x) }
            func check(_ ok: Bool) -> String { ok ? console.green("✓") : console.red("✗") }
            var rule: [String] = []
            if let s = r.similarity, let exact = r.exactMatchSimilarity, s >= exact {
                rule.append("similarity \(f(s)) (an exact match: ≥ \(f(exact)) fires whatever the margins) \(check(true))")
            } else if let s = r.similarity {
                if let minimum = r.minimumSimilarity { rule.append("similarity \(f(s)) (needs ≥ \(f(minimum))) \(check(s >= minimum))") }
                else { rule.append("similarity \(f(s))") }
                if let need = r.requiredMargin {
                    if let other = r.otherEditSimilarity {
                        rule.append("lead over the next edit \(f(s - other)) (needs ≥ \(f(need))) \(check(s - other >= need))")
                    } else if r.minimumSimilarity != nil {
                        rule.append("no other edit")
                    } else if let m = r.margin {
                        rule.append("margin \(f(m)) (needs ≥ \(f(need)))")
                    }
                }
                if let reference = r.referenceSimilarity, let need = r.requiredReferenceMargin {
                    rule.append("lead over reference prompts \(f(s - reference)) (needs ≥ \(f(need))) \(check(s - reference >= need))")
                }
            }
            if let d = r.hammingDistance {
                rule.append("Hamming distance \(d)" + (r.epsilon.map { " (fires below \($0)) \(check(d < $0))" } ?? ""))
            }
            let matched = r.matchedEdit.map { (r.fired ? "matched edit " : "nearest edit ") + console.cyan($0) }
            var lines: [String] = []
            if r.fired {
                lines.append("routing: " + console.green("adapter fired") + (matched.map { " — " + $0 } ?? ""))
            } else if r.matchedEdit == nil, r.similarity == nil, r.hammingDistance == nil {
                lines.append("routing: " + console.yellow("deferred to the base model") + " — no edit is live at this version")
            } else {
                lines.append("routing: " + console.yellow("deferred to the base model") + " (no edit is close enough)" + (matched.map { " — " + $0 } ?? ""))
            }
            if !rule.isEmpty { lines.append("  " + rule.joined(separator: " · ")) }
            for layer in r.layers {
                let experts = zip(layer.experts, layer.weights).map { "LoRA \($0) (" + String(format: "%.2f", $1) + ")" }
                lines.append("  layer \(layer.layer): " + experts.joined(separator: ", "))
            }
            return lines
        }
    }
}
