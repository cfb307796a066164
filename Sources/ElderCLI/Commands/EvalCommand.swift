import ArgumentParser
import Elder
import ElderCommandLine
import Foundation

extension ElderCommand {
    /// `elder eval [REV] [--probes FILE]`: do the live edits hold, and do the probes pass? Exit 1 when a live edit
    /// does not hold or a probe fails.
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure every live edit (and a probe file) at a version; exit 1 if one fails.",
            discussion: """
                Each live edit: teacher-forced exact match of its target on its prompt (reliability) and on its
                paraphrases. Each probe: with an "expected" answer it must give that answer; without one it must answer
                as the base model (the repo's first version) does. Exit 1 when a live edit does not hold or a probe
                fails (for CI and `bisect run`); --no-require-edits reports edits without failing on them. Examples:
                  elder eval
                  elder eval v1.0 --probes Samples/probes/locality.jsonl --json
                """)

        @Argument(help: ArgumentHelp("The version to measure (default HEAD).", valueName: "REV"))
        var revision: String = "HEAD"

        @Option(name: .long, help: ArgumentHelp("A probe file (JSONL, Samples/probes/ format).", valueName: "FILE"))
        var probes: String?

        @Flag(name: .long, inversion: .prefixedNo, help: "Fail (exit 1) when a live edit does not hold (the default).")
        var requireEdits = true

        @Option(name: .long, help: "Tokens generated per probe answer.")
        var maxTokens: Int = 8

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        }

        func run() throws {
            let console = output.console
            let probeList = try probes.map(readProbeFile) ?? []
            let workspace = try repo.openWorkspace()
            let result = try workspace.evaluate(at: revision, probes: probeList, maxTokens: maxTokens)
            func percent(_ x: Double?) -> String { x.map { String(format: "%.1f %%", $0 * 100) } ?? "-" }
            try console.emit(result) {
                var lines = ["eval \(console.yellow(String(result.commit.prefix(10))))  state sha256 \(result.stateHash.prefix(12))…"]
                lines.append("\(result.edits.count) live edit\(result.edits.count == 1 ? "" : "s"): reliability \(percent(result.reliability)), "
                             + "paraphrase reliability \(percent(result.paraphraseReliability))")
                for e in result.edits where !e.holds {
                    lines.append(console.red("  ✗ \(e.id)  \"\(e.prompt)\" → \"\(e.target)\" (\(e.tokensCorrect)/\(e.targetTokens) tokens)"))
                }
                if !result.probes.isEmpty {
                    lines.append("\(result.probesPassed) of \(result.probes.count) probes pass (\(percent(result.probePassRate)))")
                    for p in result.probes where !p.passed {
                        lines.append(console.red("  ✗ \"\(p.prompt)\" answers \"\(p.answer)\", wanted \"\(p.wanted)\""
                                                 + (p.check == .base ? " (the base model's answer)" : "")))
                    }
                }
                return lines.joined(separator: "\n")
            }
            if result.probesFailed > 0 {
                throw CLIFailure.failure("\(result.probesFailed) of \(result.probes.count) probes fail at \(revision): "
                                         + "see the list above (or --json) and revert the edit that broke them")
            }
            if requireEdits, let failing = result.edits.first(where: { !$0.holds }) {
                let count = result.edits.filter { !$0.holds }.count
                throw CLIFailure.failure("\(count) live edit\(count == 1 ? " does" : "s do") not hold at \(revision) (first: \(failing.id)): "
                                         + "re-apply \(count == 1 ? "it" : "them") with `elder edit` or revert \(count == 1 ? "it" : "them"); "
                                         + "--no-require-edits reports without failing")
            }
        }
    }
}
