import ArgumentParser
import Elder
import ElderCommandLine
import Foundation

extension ElderCommand {
    /// `elder export [REV] --out DIR`: a version's adapter as safetensors + JSON (PEFT LoRAs per expert).
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a version's adapters as safetensors + JSON that other tools can read.",
            discussion: """
                One standard PEFT LoRA per expert (DIR/expert-L-j/adapter_config.json + adapter_model.safetensors,
                names like base_model.model.model.layers.L.mlp.down_proj.lora_A.weight), the routers and the codebook
                as safetensors, and DIR/elder-export.json describing it all. Values are the version's state, bit for bit.
                Examples:
                  elder export --out acme-adapters
                  elder export v1.0 --out /tmp/v1 --json
                """)

        @Argument(help: ArgumentHelp("The version to export (default HEAD).", valueName: "REV"))
        var revision: String = "HEAD"

        @Option(name: .long, help: ArgumentHelp("The folder to write (created; must be empty).", valueName: "DIR"))
        var out: String

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var folder: String
            var commit: String
            var stateHash: String
            var experts: Int
            var trainedExperts: Int
            var files: [String]
        }

        func run() throws {
            let console = output.console
            let store = try repo.openStore()
            let commit = try RepoHistory(store: store).resolve(revision)
            let folder = URL(fileURLWithPath: out).standardizedFileURL.path
            let manifest = try AdapterExport.write(store, commit: commit, to: folder)
            let files = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [])
                .filter { !$0.hasPrefix("expert-") || $0.hasSuffix(".safetensors") || $0.hasSuffix(".json") }
                .filter { $0.contains(".") }.sorted()
            let report = Report(folder: folder, commit: commit.hex, stateHash: manifest.stateHash, experts: manifest.experts.count,
                                trainedExperts: manifest.experts.filter(\.trained).count, files: files)
            try console.emit(report) {
                var lines = ["Exported \(console.yellow(commit.short)) to \(folder)"]
                lines.append("  \(report.experts) PEFT LoRA adapters (expert-L-j/), \(report.trainedExperts) trained; "
                             + "r \(manifest.editor.rank), lora_alpha \(manifest.experts.first.map { "\($0.loraAlpha)" } ?? "-")")
                if let routers = manifest.routers { lines.append("  \(routers.path): \(routers.tensors.count) router tensors") }
                if let codebook = manifest.codebook { lines.append("  \(codebook.path) + \(codebook.entries): \(manifest.liveEdits.count) live edits") }
                if let single = manifest.singleLoRA { lines.append("  \(single)/: the single-LoRA adapter") }
                if let other = manifest.other { lines.append("  \(other.path): \(other.tensors.count) other tensors") }
                lines.append("  \(AdapterExport.manifestName): what is where (state sha256 \(manifest.stateHash.prefix(12))…)")
                return lines.joined(separator: "\n")
            }
        }
    }
}
