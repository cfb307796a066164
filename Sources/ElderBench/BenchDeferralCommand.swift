import ArgumentParser
import ElderCommandLine
import ElderEditing
import ElderLab
import ElderModel
import ElderRecords
import Foundation

extension ElderBenchCommand {
    /// How well the similarity deferral separates edits' unseen paraphrases from unrelated prompts.
    struct Deferral: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure how the deferral query separates held-out paraphrases from unrelated probes.",
            discussion: """
            Stores the keys of T edits (prompt + training paraphrases; no training is needed for this),
            then matches every held-out paraphrase and every locality probe, and reports the separation
            (AUC of the margin) and the generalization/locality trade-off for a range of margins.
            Example: elder-bench deferral --edits 200 --set query-layer=10
            With --keys N it instead times one lookup among N stored edits and reports the keys' memory.
            """)

        @Option(name: .long, help: "Number of edits T.") var edits: Int = 200
        @Option(name: .long, help: "Model name or path.") var model: String = "smollm2-135m"
        @Option(name: .long, help: "Edit file (JSONL).") var file: String = "Samples/edits/wikidata-1000.jsonl"
        @OptionGroup var configurationSettings: ConfigurationSettings
        @Option(name: .long, help: ArgumentHelp("Write every prompt's per-token residuals to this folder and stop (method research).", visibility: .hidden))
        var dumpResiduals: String?
        @Option(name: .long, help: ArgumentHelp("Blocks whose output --dump-residuals writes, comma-separated.", visibility: .hidden))
        var dumpLayers: String = "6,8,10,12"
        @Option(name: .long, help: ArgumentHelp("Write every prompt's deferral query (as the configuration computes it) to this folder and stop (method research).", visibility: .hidden))
        var dumpQueries: String?

        @Option(name: .long, help: "Instead: time one lookup among this many stored edits (synthetic keys), e.g. 100000.")
        var keys: Int?
        @Option(name: .long, help: "Report folder (for --keys).")
        var out: String = "reports"

        func run() throws {
            if let keys {
                print(try DeferralLookupTiming(edits: keys, dimension: 576, queries: 50,
                                               referenceKeys: ReferencePrompts.default.count).run(out: out))
                return
            }
            let loaded = try LoadedModel.load(model)
            if let dumpResiduals {
                let records = Array(try EditFileReader.readAll(path: file).prefix(edits))
                try ResidualDump.write(loaded: loaded, records: records, layers: dumpLayers.split(separator: ",").compactMap { Int($0) },
                                       folder: dumpResiduals)
                return
            }
            let overrides = try configurationSettings.overrides()
            let configuration = try EditorConfiguration.elderDefault(blockCount: loaded.configuration.layerCount).applying(overrides)
            let editor = try MixtureEditor(model: loaded, configuration: configuration, referencePrompts: ReferencePrompts.default)
            let records = Array(try EditFileReader.readAll(path: file).prefix(edits))
            let tok = loaded.tokenizer
            func key(_ text: String) -> [Float] {
                editor.normalizedQuery(editor.rawQuery(tokens: tok.encode(text)))
            }
            if let dumpQueries {
                try ResidualDump.writeQueries(records: records, folder: dumpQueries, query: key)
                return
            }
            var index = KeyIndex(dimension: editor.memory.centre.isEmpty ? key("x").count : editor.memory.centre.count)
            for k in editor.memory.backgroundKeys { index.insert(k, owner: nil) }
            for (i, r) in records.enumerated() {
                let keys = ([r.prompt] + r.paraphrases.prefix(configuration.trainingParaphrases)).map(key)
                for k in editor.deferralKeys(keys) { index.insert(k, owner: "\(i)") }
            }
            var (referenceMargin, minimum): (Float, Float) = (0, -1)
            if case .similarityMargin(_, let r, let n) = configuration.deferral { (referenceMargin, minimum) = (r, n) }
            var positives: [(margin: Float, right: Bool)] = []
            var negatives: [Float] = []
            // A query's score: its margin over other edits if it passes the reference-margin and minimum
            // checks of the configuration, else -1 (never fires).
            func score(_ m: KeyMatch) -> Float {
                if let exact = configuration.exactMatch, m.owner != nil, m.similarity >= exact { return 2 }
                return m.fires(margin: -2, referenceMargin: referenceMargin, minimum: minimum) ? m.similarity - m.secondEdit : -1
            }
            for (i, r) in records.enumerated() {
                for h in r.heldout {
                    let m = index.match(key(h))
                    positives.append((score(m), m.owner == "\(i)"))
                }
                for p in r.probes { negatives.append(score(index.match(key(p.prompt)))) }
            }
            let nearestRight = Double(positives.filter(\.right).count) / Double(max(1, positives.count))
            // AUC: probability that a held-out paraphrase's margin exceeds an unrelated probe's.
            var wins = 0.0
            for p in positives { for n in negatives { wins += p.margin > n ? 1 : (p.margin == n ? 0.5 : 0) } }
            let auc = wins / Double(max(1, positives.count * negatives.count))
            print("deferral separation, T = \(records.count), settings \(configurationSettings.settings.joined(separator: " "))")
            print(String(format: "held-out paraphrases: %d, nearest edit right %.1f%%; probes: %d; AUC %.4f",
                         positives.count, nearestRight * 100, negatives.count, auc))
            print("reference margin \(referenceMargin), minimum similarity \(minimum); the table varies the margin over other edits")
            print("| margin τ | held-out fired on the right edit | probes not fired |")
            print("| ---: | ---: | ---: |")
            for tau in stride(from: Float(0.0), through: 0.4, by: 0.025) {
                let gen = Double(positives.filter { $0.right && $0.margin >= tau }.count) / Double(max(1, positives.count))
                let loc = Double(negatives.filter { $0 < tau }.count) / Double(max(1, negatives.count))
                print(String(format: "| %.3f | %.1f%% | %.1f%% |", tau, gen * 100, loc * 100))
            }
        }
    }
}
