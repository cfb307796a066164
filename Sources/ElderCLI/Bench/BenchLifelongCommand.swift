import ArgumentParser
import ElderEditing
import ElderEval
import ElderModel
import Foundation

extension ElderCommand.Bench {
    /// The lifelong-editing benchmark: T sequential edits, Reliability / Generalization / Locality.
    struct Lifelong: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply T edits in sequence and report Reliability, Generalization and Locality.",
            discussion: """
            Example: elder bench lifelong --edits 100 --method elder --set margin=0.12
            Methods: \(EditorConfiguration.Method.allCases.map(\.rawValue).joined(separator: ", ")).
            """)

        @Option(name: .long, help: "Number of edits T (the first T of the edit file).")
        var edits: Int = 50

        @Option(name: .long, help: "Editing method.")
        var method: String = "elder"

        @Option(name: .long, help: "Model name or path.")
        var model: String = "smollm2-135m"

        @Option(name: .long, help: "Edit file (JSONL).")
        var file: String = "Samples/edits/wikidata-1000.jsonl"

        @Option(name: .long, help: "Number of curve checkpoints (the last is always T).")
        var checkpoints: Int = 5

        @Flag(name: .long, help: "Also score each edit right after it is made.")
        var afterEach = false

        @OptionGroup var configurationSettings: ConfigurationSettings

        @Option(name: .long, help: "Report folder.")
        var out: String = "reports"

        func run() throws {
            let loaded = try LoadedModel.load(model)
            guard let m = EditorConfiguration.Method(rawValue: method) else {
                throw ValidationError("unknown method \(method); use one of \(EditorConfiguration.Method.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let overrides = try configurationSettings.overrides()
            let blocks = loaded.configuration.layerCount
            let configuration = try EditorConfiguration.preset(m, blockCount: blocks).applying(overrides)
            let editor = try makeEditor(model: loaded, configuration: configuration)
            let records = Array(try EditFileReader.readAll(path: file).prefix(edits))
            let run = LifelongRun(checkpoints: LifelongRun.evenCheckpoints(checkpoints, editCount: records.count),
                                  afterEachEdit: afterEach)
            let subject = EditorUnderTest(editor: editor, model: loaded.model)
            let start = Date()
            // The base model's answers to the probes are the same for every method: measured once per model
            // and edit set, kept beside the reports.
            let base = BaseModelScorer(model: loaded.model), encoder = TokenizerEncoder(tokenizer: loaded.tokenizer)
            let cachePath = out + "/probe-baseline-" + (loaded.path as NSString).lastPathComponent + ".json"
            var baseline = (try? JSONDecoder().decode(ProbeBaseline.self, from: Data(contentsOf: URL(fileURLWithPath: cachePath))))
                ?? ProbeBaseline()
            try baseline.measure(records.flatMap(\.probes), base: base, encoder: encoder)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try JSONEncoder().encode(baseline).write(to: URL(fileURLWithPath: cachePath + ".tmp"))
            _ = try? FileManager.default.removeItem(atPath: cachePath)
            try FileManager.default.moveItem(atPath: cachePath + ".tmp", toPath: cachePath)
            var result = try run.run(method: method, edits: records, editor: subject, base: base, encoder: encoder,
                                     baseline: baseline) { t, total in
                if t % 10 == 0 || t == total {
                    FileHandle.standardError.write(Data("\r\(t)/\(total) edits, \(Int(Date().timeIntervalSince(start))) s".utf8))
                }
            }
            FileHandle.standardError.write(Data("\n".utf8))
            let steps = subject.outcomes.map(\.iterations).sorted()
            let converged = subject.outcomes.filter(\.converged).count
            result.notes = "settings: \(overrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")); "
                + "median steps \(steps[steps.count / 2]), converged \(converged)/\(steps.count)"
            let report = LifelongReport(title: "Lifelong editing: \(method), T = \(records.count)",
                                        evaluationProtocol: run.evaluationProtocol(editCount: records.count, editSet: file),
                                        environment: LifelongReport.standardEnvironment(model: loaded.path), methods: [result])
            let name = "lifelong-\(method)-\(records.count)" + (configurationSettings.settings.isEmpty ? "" : "-" + configurationSettings.settings.joined(separator: "_"))
            try report.write(to: out, name: name)
            print(report.markdown)
        }
    }
}
