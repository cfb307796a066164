import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder show [REV]`: one commit in full — message, the edit record, its metrics, the allocation, the tensors.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a commit: its edit, the metrics measured at commit time, the LoRAs it uses.",
            discussion: """
                For an edit: the prompt, target and paraphrases, whether the committed model gives the target \
                (teacher-forced), the paraphrase reliability, the training iterations, and the routing \
                allocation (which LoRA experts of which layer the edit was given). For a revert: the edit it \
                took out. Then the tensors the commit's delta changed.
                Examples:
                  elder show
                  elder show HEAD~2
                  elder show v1 --json
                """)

        @Argument(help: ArgumentHelp("The commit to show (default HEAD).", valueName: "REV"))
        var revision: String = "HEAD"

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var commit: Log.Entry
            var role: CommitDetails.Role
            var edit: EditRecordBody?
            var allocation: [LayerAllocation]?
            var changedTensors: [CommitDetails.TensorChange]
        }

        struct LayerAllocation: Encodable {
            var layer: Int
            var experts: [Int]
        }

        func run() throws {
            let console = output.console
            let history = try RepoHistory.open(at: try repo.repoPath())
            let details = try history.details(of: revision)
            let refs = try history.decorations()[details.entry.commit] ?? []
            let allocation = details.edit?.allocation.map { rows in
                rows.enumerated().map { i, experts in
                    LayerAllocation(layer: i < details.adaptedLayers.count ? details.adaptedLayers[i] : i, experts: experts)
                }
            }
            let report = Report(commit: Log.Entry(details.entry, refs: refs), role: details.role, edit: details.edit,
                                allocation: allocation, changedTensors: details.changedTensors)
            try console.emit(report) {
                let refText = refs.isEmpty ? "" : " (" + refs.map(console.cyan).joined(separator: ", ") + ")"
                var lines = [Log.full(details.entry, refs: refText, console: console), ""]
                if let edit = details.edit {
                    lines += Self.describe(edit, role: details.role, allocation: allocation ?? [], console: console)
                }
                if !details.changedTensors.isEmpty {
                    let values = details.changedTensors.map(\.changedValues).reduce(0, +)
                    lines.append("\(console.bold("Tensors")): \(details.changedTensors.count) changed, \(values) values")
                    for t in details.changedTensors.prefix(12) {
                        lines.append("  \(t.name) \(t.shape.map(String.init).joined(separator: "×")): \(t.changedValues) values, "
                                     + String(format: "rms %.3g", t.rms))
                    }
                    if details.changedTensors.count > 12 { lines.append("  … \(details.changedTensors.count - 12) more (--json lists all)") }
                }
                return lines.joined(separator: "\n")
            }
        }

        static func describe(_ edit: EditRecordBody, role: CommitDetails.Role, allocation: [LayerAllocation],
                             console: Console) -> [String] {
            let verb: String
            switch role {
            case .revert: verb = "Reverts edit"
            case .restore: verb = "Restores edit"
            default: verb = "Edit"
            }
            var lines = ["\(console.bold(verb)) \(console.cyan(edit.id)): \"\(edit.prompt)\" → \"\(edit.target)\""]
            for p in edit.paraphrases { lines.append("  paraphrase: \"\(p)\"") }
            for old in edit.supersedes ?? [] {
                lines.append("  supersedes edit \(console.cyan(old.id)): \"\(old.prompt)\" → \"\(old.target)\"")
            }
            let m = edit.metrics
            var measured = [m.reliability >= 1 ? console.green("holds") : console.red("does not hold"),
                            "target tokens \(m.prompt.tokensCorrect)/\(m.prompt.targetTokens)",
                            m.fired ? "adapter fired" : console.yellow("adapter did not fire")]
            if let p = m.paraphraseReliability { measured.append(String(format: "paraphrases %.2f", p)) }
            if let r = m.rewordingReliability { measured.append(String(format: "untrained rewordings %.2f", r)) }
            measured.append("\(m.iterations) iterations")
            if m.compactionRetries > 0 { measured.append("\(m.compactionRetries) retrain after compaction") }
            lines.append("  at commit time: " + measured.joined(separator: " · "))
            for c in m.rewordings ?? [] where !c.exactMatch { lines.append("  rewording that misses: \"\(c.prompt)\"") }
            if let f = m.fluency { lines.append("  answer: \"\(AnswerFluency.oneLine(f.answer))\" · " + f.verdict) }
            if !allocation.isEmpty {
                lines.append("  allocation: " + allocation.map { "layer \($0.layer) → LoRA " + $0.experts.map(String.init).joined(separator: ",") }
                    .joined(separator: "; "))
            }
            lines.append("")
            return lines
        }
    }
}
