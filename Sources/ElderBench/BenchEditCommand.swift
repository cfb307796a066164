import ArgumentParser
import ElderCommandLine
import ElderEditing
import ElderEval
import ElderModel
import ElderRecords
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ElderBenchCommand {
    /// The cost of one edit: seconds, arithmetic, peak memory and where the time goes, per method.
    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make N counterfactual edits in sequence and report the time, arithmetic and memory per edit.",
            discussion: """
            Example: elder-bench edit --method grace --edits 20
            A variant of a method: elder-bench edit --method elder --set stop-loss=0.3 --out reports/stop-loss
            Several methods in one run, one table (each method in its own process, one after another, so each
            has its own peak memory): elder-bench edit --method elder,elder-paper,ft-l,lora,grace --edits 20
            Methods: \(EditorConfiguration.Method.allCases.map(\.rawValue).joined(separator: ", ")).
            Arithmetic is counted analytically from the shapes (see EditArithmetic); the fraction of peak uses
            93 GFLOP/s per core (FMA loop, docs/TOOLCHAIN.md) times the OpenBLAS threads.
            """)

        @Option(name: .long, help: "Editing method, or several separated by commas (one table).")
        var method: String = "elder"

        var methods: [String] { method.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

        @Option(name: .long, help: "Number of edits N (the first N of the edit file).")
        var edits: Int = 20

        @Option(name: .long, help: "Model name or path.")
        var model: String = "smollm2-135m"

        @Option(name: .long, help: "Edit file (JSONL).")
        var file: String = "Samples/edits/wikidata-50.jsonl"

        @Option(name: .long, help: "Report folder.")
        var out: String = "reports"

        @OptionGroup var configurationSettings: ConfigurationSettings

        func validate() throws {
            for method in methods where EditorConfiguration.Method(rawValue: method) == nil {
                throw ValidationError("unknown method \(method); use one of \(EditorConfiguration.Method.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard !methods.isEmpty, Set(methods).count == methods.count else { throw ValidationError("--method lists no method or one twice") }
            guard edits >= 1 else { throw ValidationError("--edits must be at least 1") }
        }

        func run() throws {
            if methods.count > 1 { return try runEach() }
            let m = EditorConfiguration.Method(rawValue: method)!
            let loadStart = Date()
            let loaded = try LoadedModel.load(model)
            let loadSeconds = Date().timeIntervalSince(loadStart)
            let configuration = try EditorConfiguration.preset(m, blockCount: loaded.configuration.layerCount)
                .applying(try configurationSettings.overrides())
            let editor = try makeEditor(model: loaded, configuration: configuration)
            let records = Array(try EditFileReader.readAll(path: file).prefix(edits))
            var rows: [EditBenchReport.Row] = []
            for (i, record) in records.enumerated() {
                let request = EditRequest(id: record.id ?? "edit-\(i)", prompt: record.prompt, target: record.target,
                                          paraphrases: record.paraphrases)
                let batch = EditArithmetic.batch(editor: editor, request: request, tokenizer: loaded.tokenizer)
                var mixturePhases: (frozenPass: Double, memory: Double)?
                if let mixture = editor as? MixtureEditor { mixturePhases = mixturePhaseSeconds(editor: mixture, request: request) }
                let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUSeconds()
                let outcome = try editor.edit(request)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                let cpuSeconds = processCPUSeconds() - cpuStart
                let arithmetic = EditArithmetic.count(model: loaded.configuration, configuration: configuration,
                                                      batch: batch, steps: outcome.iterations)
                var profile = (editor as? any ProfiledEditor)?.lastProfile
                if let p = mixturePhases {
                    profile = EditProfile(frozenPassSeconds: p.frozenPass, stepsSeconds: max(0, cpuSeconds - p.frozenPass - p.memory),
                                          memorySeconds: p.memory)
                }
                rows.append(.init(id: request.id, seconds: seconds, cpuSeconds: cpuSeconds, steps: outcome.iterations, converged: outcome.converged,
                                  gflop: arithmetic.totalFLOPs / 1e9, frozenGFLOP: arithmetic.frozenFLOPs / 1e9,
                                  stepGFLOP: (arithmetic.stepForwardFLOPs + arithmetic.stepBackwardFLOPs) / 1e9,
                                  rows: batch.reduce(0) { $0 + $1.promptTokens + $1.targetTokens }, profile: profile))
                FileHandle.standardError.write(Data(String(format: "\r%d/%d edits, last %.2f s, %d steps", i + 1, records.count,
                                                           seconds, outcome.iterations).utf8))
            }
            FileHandle.standardError.write(Data("\n".utf8))
            let report = EditBenchReport(method: method, model: loaded.path, editFile: file, configuration: configuration,
                                         modelLoadSeconds: loadSeconds, peakResidentBytes: peakResidentBytes(),
                                         openBLASThreads: ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init),
                                         cores: ProcessInfo.processInfo.activeProcessorCount, rows: rows)
            try report.write(folder: out, name: "edit-\(method)-\(records.count)")
            print(report.markdown)
        }
    }
}

/// CPU time (user + system) of the whole process so far: on a shared machine it shows the work done,
/// where wall time also shows the waiting for a core.
func processCPUSeconds() -> Double { ResourceUsage.cpuSeconds() }

/// The process's peak resident set (getrusage's ru_maxrss).
func peakResidentBytes() -> Int { ResourceUsage.peakResidentBytes() }

/// The process's current resident set (/proc/self/statm).
func residentBytes() -> Int { ResourceUsage.residentBytes() }

/// What `elder-bench edit` measured, as Markdown and JSON.
struct EditBenchReport: Codable {
    struct Row: Codable {
        var id: String
        var seconds: Double
        var cpuSeconds: Double
        var steps: Int
        var converged: Bool
        var gflop: Double
        var frozenGFLOP: Double
        /// Forward + backward of one step.
        var stepGFLOP: Double
        /// Tokens in the batch (all sequences, prompt + target).
        var rows: Int
        var profile: EditProfile?
    }

    /// GFLOP/s of one core and of both (an FMA loop on this machine kind, TOOLCHAIN.md).
    static let peakPerCore = 93.0, peakBothCores = 187.0

    var method: String
    var model: String
    var editFile: String
    var configuration: EditorConfiguration
    var modelLoadSeconds: Double
    var peakResidentBytes: Int
    var openBLASThreads: Int?
    var cores: Int
    var rows: [Row]
    var date = ISO8601DateFormatter().string(from: Date())

    static func quantile(_ xs: [Double], _ q: Double) -> Double {
        guard !xs.isEmpty else { return .nan }
        let s = xs.sorted()
        return s[min(s.count - 1, Int((q * Double(s.count - 1)).rounded()))]
    }

    var threads: Int { openBLASThreads ?? cores }
    var peak: Double { threads <= 1 ? Self.peakPerCore : min(Self.peakBothCores, Self.peakPerCore * Double(threads)) }

    struct Summary: Codable {
        var medianSeconds, p90Seconds, medianCPUSeconds, p90CPUSeconds, medianSteps, medianGFLOP, medianGFLOPPerSecond, fractionOfPeak: Double
        var fractionOfBothCores: Double
        /// GFLOP per CPU-second (user + system): the rate while the process had a core, whatever the load.
        var medianGFLOPPerCPUSecond: Double
        var medianFrozenSeconds, medianStepsSeconds, medianMemorySeconds, medianSecondsPerStep: Double?
        var converged: Int
        var peakResidentGB: Double
    }

    var summary: Summary {
        let q = { (xs: [Double]) in Self.quantile(xs, 0.5) }
        let rates = rows.map { $0.gflop / $0.seconds }
        let profiles = rows.compactMap(\.profile)
        let perStep = rows.compactMap { r in r.profile.flatMap { r.steps > 0 ? $0.stepsSeconds / Double(r.steps) : nil } }
        return Summary(
            medianSeconds: q(rows.map(\.seconds)), p90Seconds: Self.quantile(rows.map(\.seconds), 0.9),
            medianCPUSeconds: q(rows.map(\.cpuSeconds)), p90CPUSeconds: Self.quantile(rows.map(\.cpuSeconds), 0.9),
            medianSteps: q(rows.map { Double($0.steps) }), medianGFLOP: q(rows.map(\.gflop)),
            medianGFLOPPerSecond: q(rates), fractionOfPeak: q(rates) / peak, fractionOfBothCores: q(rates) / Self.peakBothCores,
            medianGFLOPPerCPUSecond: q(rows.map { $0.gflop / max($0.cpuSeconds, 1e-9) }),
            medianFrozenSeconds: profiles.isEmpty ? nil : q(profiles.map(\.frozenPassSeconds)),
            medianStepsSeconds: profiles.isEmpty ? nil : q(profiles.map(\.stepsSeconds)),
            medianMemorySeconds: profiles.isEmpty ? nil : q(profiles.map(\.memorySeconds)),
            medianSecondsPerStep: perStep.isEmpty ? nil : q(perStep),
            converged: rows.filter(\.converged).count, peakResidentGB: Double(peakResidentBytes) / 1e9)
    }

    var markdown: String {
        let s = summary
        func f(_ x: Double?, _ digits: Int = 2) -> String { x.map { String(format: "%.\(digits)f", $0) } ?? "–" }
        let c = configuration
        var md = """
        # Edit benchmark: \(method), \(rows.count) edits

        Model `\(model)`; edits: first \(rows.count) of `\(editFile)`, made in sequence; \(date).
        Machine: \(cores) cores (shared with other work while measured: compare ratios from one run),
        OpenBLAS threads \(openBLASThreads.map(String.init) ?? "unset (= \(cores))"); peak used for the fraction: \(f(peak, 0)) GFLOP/s.

        | method | median s/edit | p90 s/edit | median CPU s/edit | p90 CPU s | median steps | converged | GFLOP/edit (median) | GFLOP/s | of peak | of both cores | GFLOP/CPU-s | peak RSS |
        | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
        | \(method) | \(f(s.medianSeconds)) | \(f(s.p90Seconds)) | \(f(s.medianCPUSeconds)) | \(f(s.p90CPUSeconds)) | \(f(s.medianSteps, 0)) | \(s.converged)/\(rows.count) | \(f(s.medianGFLOP, 1)) | \(f(s.medianGFLOPPerSecond, 1)) | \(f(s.fractionOfPeak * 100, 0)) % | \(f(s.fractionOfBothCores * 100, 0)) % | \(f(s.medianGFLOPPerCPUSecond, 1)) | \(f(s.peakResidentGB)) GB |

        Where the time goes (median CPU seconds per edit): frozen pass \(f(s.medianFrozenSeconds, 3)) s, training steps \(f(s.medianStepsSeconds, 3)) s
        (\(f(s.medianSecondsPerStep, 3)) s per step), memory update \(f(s.medianMemorySeconds, 3)) s. Model load \(f(modelLoadSeconds)) s (not in the edit times).

        Configuration: layers \(c.layers), N \(c.experts), r \(c.rank), k \(c.topK), lr \(c.learningRate), up to \(c.iterations) steps\
        \(c.earlyStop ? " with early stopping" : ""), paraphrases \(c.trainingParaphrases), replay \(c.replay), span \(c.adapterSpan.rawValue)\
        \(c.grace.map { ", GRACE ε_init \($0.initialRadius)" } ?? "").

        Arithmetic counted from the shapes: frozen pass (blocks below the first adapted one, the prefix) once; per step the
        forward through the adapted blocks, the adapter and the LM head on target rows, and the backward with input
        gradients only through frozen weights; steps + 1 forwards and steps backwards.

        | edit | s | CPU s | steps | converged | GFLOP | frozen GFLOP | GFLOP/step | batch tokens | frozen s | steps s | memory s |
        | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |

        """
        for r in rows {
            md += "| \(r.id) | \(f(r.seconds)) | \(f(r.cpuSeconds)) | \(r.steps) | \(r.converged ? "yes" : "no") | \(f(r.gflop, 1)) | \(f(r.frozenGFLOP, 2)) | "
                + "\(f(r.stepGFLOP, 2)) | \(r.rows) | \(f(r.profile?.frozenPassSeconds, 3)) | \(f(r.profile?.stepsSeconds, 3)) | "
                + "\(f(r.profile?.memorySeconds, 3)) |\n"
        }
        return md
    }

    /// The JSON file's contents: the report and its summary.
    struct Document: Codable { let report: EditBenchReport; let summary: Summary }

    func write(folder: String, name: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try markdown.write(toFile: folder + "/" + name + ".md", atomically: true, encoding: .utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(Document(report: self, summary: summary)).write(to: URL(fileURLWithPath: folder + "/" + name + ".json"))
    }
}
