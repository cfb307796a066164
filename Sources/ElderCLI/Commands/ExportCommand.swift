import ArgumentParser
import Elder
import ElderCommandLine
import Foundation

extension ElderCommand {
    /// `elder export [REV] --out DIR`: a version's adapter as safetensors + JSON (PEFT LoRAs per expert).
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a version as files another stack can run: PEFT adapters, the routing rule, a Python loader.",
            discussion: """
                DIR/README.md specifies the rule that picks, for each prompt, one edit's adapter or the base model;
                DIR/elder-export.json holds its exact settings and the live edits; DIR/routing.safetensors the
                deferral's vectors (centre, whitening projection, reference and edit keys); DIR/edits/edit-NNNN/ each
                live edit's LoRAs as one standard PEFT adapter; DIR/elder_route.py answers prompts with PyTorch +
                transformers as `elder ask` does. Untrained experts are not written. Values are the version's
                state, bit for bit. Needs the repo's base model (the routing vectors are computed with it).
                Examples:
                  elder export --out acme-v1
                  elder export v1.0 --out /tmp/v1 --json
                  python3 acme-v1/elder_route.py acme-v1 --model SmolLM2-135M-Instruct.Q4_1.gguf "The CEO of Acme is"
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
            var edits: Int
            var adapters: Int
            var bytes: Int
            var files: [String]
        }

        func run() throws {
            let console = output.console
            _ = try repo.repoPath()
            let workspace = try repo.openWorkspace()
            let commit = try workspace.resolve(revision)
            let folder = URL(fileURLWithPath: out).standardizedFileURL.path
            let manifest = try AdapterExport.write(workspace, commit: commit, to: folder)
            let fm = FileManager.default
            let files = (fm.enumerator(atPath: folder)?.allObjects as? [String] ?? []).filter { $0.contains(".") }.sorted()
            let bytes = files.reduce(0) { $0 + ((try? fm.attributesOfItem(atPath: folder + "/" + $1)[.size] as? Int) ?? 0) }
            let report = Report(folder: folder, commit: commit.hex, stateHash: manifest.stateHash, edits: manifest.edits.count,
                                adapters: manifest.edits.filter { $0.adapter != nil }.count, bytes: bytes, files: files)
            try console.emit(report) {
                var lines = ["Exported \(console.yellow(commit.short)) to \(folder) (\(report.files.count) files, "
                             + String(format: "%.1f MB)", Double(bytes) / 1e6)]
                if report.adapters > 0 {
                    lines.append("  edits/edit-NNNN/: \(report.adapters) PEFT LoRA adapters, one per live edit "
                                 + "(r \(manifest.editor.rank * manifest.editor.topK) over blocks \(manifest.editor.layers))")
                }
                if let routing = manifest.routing { lines.append("  \(routing.path): centre, whitening, reference and edit keys") }
                if let experts = manifest.experts { lines.append("  \(experts.path): \(experts.tensors.count / 2) trained experts") }
                if let routers = manifest.routers { lines.append("  \(routers.path): \(routers.tensors.count) router tensors") }
                if let single = manifest.singleLoRA { lines.append("  \(single)/: the single-LoRA adapter") }
                if let other = manifest.other { lines.append("  \(other.path): \(other.tensors.count) other tensors") }
                lines.append("  \(AdapterExport.manifestName): the rule's settings and the \(manifest.edits.count) live edits "
                             + "(state sha256 \(manifest.stateHash.prefix(12))…)")
                lines.append("  \(AdapterExport.readmeName): the routing rule; \(AdapterExport.loaderName): the reference loader")
                return lines.joined(separator: "\n")
            }
        }
    }
}
