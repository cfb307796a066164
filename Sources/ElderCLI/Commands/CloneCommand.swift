import ArgumentParser
import Elder
import ElderStore
import ElderCommandLine
import Foundation

extension ElderCommand {
    /// `elder clone URL DIR`: a copy of a knowledge repo from any git remote.
    struct Clone: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a knowledge repo from a git remote (path, file://, git://, ssh, https).",
            discussion: """
                The clone is a bare git repository like the one `elder init` makes, with the remote as `origin`.
                Its HEAD version is rebuilt and checked against its recorded state hash. The model is found with
                --model (recorded in the clone's local config) or in the model cache by file name. Examples:
                  elder clone git://server/facts.git facts
                  elder clone file:///srv/knowledge/facts.git facts --model ~/models/SmolLM2-135M-Instruct.Q4_1.gguf
                """)

        @Argument(help: ArgumentHelp("Where the repo is.", valueName: "URL"))
        var url: String

        @Argument(help: ArgumentHelp("The folder to create (must not exist or be empty).", valueName: "DIR"))
        var directory: String

        @Option(name: .customLong("model"), help: ArgumentHelp("The repo's model file on this machine (must have its SHA-256).",
                                                               valueName: "PATH"))
        var modelPath: String?

        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var path: String
            var url: String
            var head: String
            var branch: String?
            var stateHash: String
            var liveEdits: Int
            var model: String
            var modelPath: String?
        }

        func run() throws {
            let console = output.console
            let path = URL(fileURLWithPath: directory).standardizedFileURL.path
            let result = try KnowledgeRemotes.clone(from: url, to: path, modelPath: modelPath)
            try DiffDriverSetup.install(in: try Repository.open(at: result.path), executable: ElderExecutable.path)
            let report = Report(path: result.path, url: url, head: result.head.hex, branch: result.branch, stateHash: result.stateHash,
                                liveEdits: result.liveEdits, model: result.model.fileName, modelPath: result.modelPath)
            try console.emit(report) {
                var lines = ["Cloned \(url) into \(result.path)"]
                lines.append("  \(result.branch.map { "branch \($0), " } ?? "")HEAD \(console.yellow(result.head.short)), "
                             + "\(result.liveEdits) live edit\(result.liveEdits == 1 ? "" : "s"), state sha256 \(result.stateHash.prefix(12))… (verified)")
                if let model = result.modelPath {
                    lines.append("  model \(model)")
                } else {
                    lines.append(console.yellow("  model \(result.model.fileName) is not in the model cache: pass --model PATH to commands, "
                                                + "or `git --git-dir=\(result.path) config elder.model PATH`"))
                }
                return lines.joined(separator: "\n")
            }
        }
    }
}
