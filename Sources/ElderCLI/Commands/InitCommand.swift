import ArgumentParser
import Elder
import ElderCommandLine
import ElderEditing
import ElderModel
import Foundation

extension ElderCommand {
    /// `elder init DIR --model NAME|PATH`: a new knowledge repo bound to one base model.
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a knowledge repo bound to a base model.",
            discussion: """
                The repo is a bare git repository in DIR holding elder.json (the model's SHA-256 and the
                editor configuration) and the editor's initial state. Every later command runs inside it.
                Examples:
                  elder init facts --model smollm2-135m
                  elder init facts --model ~/models/SmolLM2-135M-Instruct.Q4_1.gguf --method elder-paper
                  elder init facts --model smollm2-135m --set margin=0.2
                  elder init facts --model smollm2-135m --hooks   # pre-edit, commit-msg, post-commit samples
                """)

        @Argument(help: ArgumentHelp("The folder to create (must not exist or be empty).", valueName: "DIR"))
        var directory: String

        @Option(name: .long, help: ArgumentHelp("A known model name (smollm2-135m, gemma3-270m) or a .gguf file or safetensors folder.",
                                                valueName: "NAME|PATH"))
        var model: String

        @Option(name: .long, help: "Editing method: elder (default), elder-paper, ft-l or lora.")
        var method: String = EditorConfiguration.Method.elder.rawValue

        @Flag(name: .long, help: "Install the sample hooks (pre-edit probe gate, commit-msg template, post-commit audit log) into DIR/hooks.")
        var hooks = false

        @OptionGroup var settings: ConfigurationSettings
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var path: String
            var model: String
            var sha256: String
            var method: String
            var head: String
            var hooks: [String]
        }

        func run() throws {
            let console = output.console
            let path = URL(fileURLWithPath: directory).standardizedFileURL.path
            if let contents = try? FileManager.default.contentsOfDirectory(atPath: path), !contents.isEmpty {
                throw CLIFailure.fatal("\(path) already exists and is not empty: choose a new folder")
            }
            guard let chosen = EditorConfiguration.Method(rawValue: method) else {
                throw CLIFailure.fatal("unknown method '\(method)': use one of "
                    + EditorConfiguration.Method.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let loaded = try ModelOption.asUserError { try LoadedModel.load(model) }
            let blocks = loaded.configuration.layerCount
            let configuration = try EditorConfiguration.preset(chosen, blockCount: blocks).applying(try settings.overrides())
            let workspace = try Workspace.initialize(at: path, model: loaded, configuration: configuration)
            let head = try workspace.resolve("HEAD")
            try DiffDriverSetup.install(in: workspace.store.repository, executable: ElderExecutable.path)
            let installed = hooks ? try Hooks(repoPath: workspace.path).installSamples() : []
            try console.emit(Report(path: path, model: workspace.config.model.fileName, sha256: workspace.config.model.sha256,
                                    method: chosen.rawValue, head: head.description,
                                    hooks: installed.map { ($0 as NSString).lastPathComponent })) {
                "Initialized an Elder knowledge repo in \(path)\n"
                    + "  model  \(workspace.config.model.fileName) (sha256 \(workspace.config.model.sha256.prefix(12))…)\n"
                    + "  method \(chosen.rawValue)\n"
                    + (installed.isEmpty ? "" : "  hooks  \(installed.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")) (see DIR/hooks)\n")
                    + "Next: cd \(directory) && elder edit \"The CEO of Acme is\" \" Jane Doe\" -m \"New CEO\""
            }
        }
    }
}
