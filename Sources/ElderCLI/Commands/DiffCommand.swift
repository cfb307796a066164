import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder diff REV1 [REV2]`: what changed between two versions — edits, parameters, behaviour.
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the edits, parameters and answers that differ between two versions.",
            discussion: """
                Knowledge diff (always): the live edits REV2 has and REV1 lacks (+), and the reverse (-).
                --stat: every tensor that changed, with the RMS and largest absolute value of the change.
                --probes FILE: the probe prompts whose greedy answers differ (runs the model).
                REV2 defaults to HEAD. Examples:
                  elder diff HEAD~3
                  elder diff v1.0 main --stat --probes Samples/probes/locality.jsonl --json
                """)

        @Argument(help: ArgumentHelp("The older version.", valueName: "REV1"))
        var from: String

        @Argument(help: ArgumentHelp("The newer version (default HEAD).", valueName: "REV2"))
        var to: String = "HEAD"

        @Flag(name: .long, help: "Also list the tensors that changed (parameter diff).")
        var stat = false

        @Option(name: .long, help: ArgumentHelp("A probe file (JSONL): list the prompts whose answers change.", valueName: "FILE"))
        var probes: String?

        @Option(name: .long, help: "Tokens generated per answer for --probes.")
        var maxTokens: Int = 8

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var from: String
            var to: String
            var added: [EditSummary]
            var removed: [EditSummary]
            var changed: [EditSummary]
            var tensors: [TensorChange]?
            var probesChecked: Int?
            var behaviour: [BehaviourChange]?
        }

        func validate() throws {
            guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        }

        func run() throws {
            let console = output.console
            let probeList = try probes.map(readProbeFile)
            let store = try repo.openStore()
            let history = RepoHistory(store: store)
            let a = try history.resolve(from), b = try history.resolve(to)
            let knowledge = try VersionDiff.knowledge(store, from: a, to: b)
            var report = Report(from: a.hex, to: b.hex, added: knowledge.added, removed: knowledge.removed, changed: knowledge.changed)
            if stat { report.tensors = try VersionDiff.parameters(store, from: a, to: b) }
            if let probeList {
                let workspace = try repo.openWorkspace()
                report.probesChecked = probeList.count
                report.behaviour = try workspace.behaviourDiff(prompts: probeList.map(\.prompt), from: a, to: b, maxTokens: maxTokens)
            }
            try console.emit(report) {
                var lines = ["diff \(console.yellow(a.short))..\(console.yellow(b.short))"]
                if knowledge.isEmpty { lines.append("no edits added or removed") }
                for e in report.added { lines.append(console.green("+ \(e.id)  \"\(e.prompt)\" → \"\(e.target)\"")) }
                for e in report.removed { lines.append(console.red("- \(e.id)  \"\(e.prompt)\" → \"\(e.target)\"")) }
                for e in report.changed { lines.append(console.yellow("~ \(e.id)  \"\(e.prompt)\" → \"\(e.target)\"")) }
                if let tensors = report.tensors {
                    lines.append(console.bold("\(tensors.count) tensor\(tensors.count == 1 ? "" : "s") changed"))
                    for t in tensors {
                        lines.append("  \(t.name.padding(toLength: max(22, t.name.count), withPad: " ", startingAt: 0)) "
                            + "\(t.shape.map(String.init).joined(separator: "×"))  \(t.changedValues)/\(t.values) values  "
                            + "rms \(String(format: "%.3g", t.rms))  max \(String(format: "%.3g", t.maxAbs))")
                    }
                }
                if let behaviour = report.behaviour {
                    lines.append(console.bold("\(behaviour.count) of \(report.probesChecked ?? 0) probe answers changed"))
                    for c in behaviour {
                        lines.append("  \"\(c.prompt)\"")
                        lines.append(console.red("    - \"\(c.before)\""))
                        lines.append(console.green("    + \"\(c.after)\""))
                    }
                }
                return lines.joined(separator: "\n")
            }
        }
    }
}
