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
    /// The lifelong-editing benchmark: T sequential edits, Reliability / Generalization / Locality.
    struct Lifelong: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply T edits in sequence and report Reliability, Generalization and Locality.",
            discussion: """
            Example: elder-bench lifelong --edits 100 --method elder --set margin=0.12
            Methods: \(EditorConfiguration.Method.allCases.map(\.rawValue).joined(separator: ", ")).

            Long runs: --background starts the run as a detached process (it survives the terminal) logging to <out>/<name>.log. The run writes <out>/<name>.progress.json after every edit and a checkpoint <out>/<name>.checkpoint (the editor's whole state and the scores so far) every --checkpoint-every edits and at each curve checkpoint. After an interruption, the same command with --resume continues from the checkpoint and ends with the same scores as an uninterrupted run.

            Example of a long run:
              elder-bench lifelong --edits 1000 --method elder-paper \
                --set routing=hard --label elder-paper-hard --background
              elder-bench lifelong --status      # edits done, ETA, scores
              tail -f reports/lifelong-elder-paper-hard-1000.log
            and after an interruption (a reboot, kill PID):
              elder-bench lifelong --edits 1000 --method elder-paper \
                --set routing=hard --label elder-paper-hard --resume --background

            Combine the JSON reports of several runs with `elder-bench lifelong-report`.
            """)

        @Option(name: .long, help: "Number of edits T (the first T of the edit file).")
        var edits: Int = 50

        @Option(name: .long, help: "Editing method.")
        var method: String = "elder"

        @Option(name: .long, help: "Name of this variant in reports and file names (e.g. elder-paper-hard); default: the method.")
        var label: String?

        @Option(name: .long, help: "Model name or path.")
        var model: String = "smollm2-135m"

        @Option(name: .long, help: "Edit file (JSONL).")
        var file: String = "Samples/edits/wikidata-1000.jsonl"

        @Option(name: .long, help: "Train each edit on its prompt and at most this many of its paraphrases (0: the prompt alone, as a person types an edit and as the published methods train); default: all of them.")
        var paraphrases: Int?

        @Flag(name: .long, help: ArgumentHelp("After the last edit, say where held-out paraphrases went: which edit the deferral chose, and whether routing them through their own edit would give the target (method research).", visibility: .hidden))
        var diagnose = false

        @Option(name: .long, help: "After the last edit, measure the fluency of the answers (greedy, ~20 passes per prompt) on this many edits spread over the stream (0: not measured).")
        var fluencyEdits: Int = 1000

        @Option(name: .long, help: "Number of curve checkpoints (the last is always T).")
        var checkpoints: Int = 5

        @Flag(name: .long, help: "Also score each edit right after it is made.")
        var afterEach = false

        @OptionGroup var configurationSettings: ConfigurationSettings

        @Option(name: .long, help: "Report folder (also holds the run's checkpoint, progress file and log).")
        var out: String = "reports"

        @Option(name: .long, help: "Save a checkpoint every this many edits (and at each curve checkpoint); 0: only those.")
        var checkpointEvery: Int = 25

        @Flag(name: .long, help: "Continue from this run's checkpoint (starts from edit 1 if there is none).")
        var resume = false

        @Flag(name: .long, help: "Discard this run's checkpoint and start over.")
        var fresh = false

        @Flag(name: .long, help: "Run as a detached background process logging to <out>/<name>.log.")
        var background = false

        @Flag(name: .long, help: "Print the progress of every run in --out and exit.")
        var status = false

        func validate() throws {
            guard EditorConfiguration.Method(rawValue: method) != nil else {
                throw ValidationError("unknown method \(method); use one of \(EditorConfiguration.Method.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard edits >= 1 else { throw ValidationError("--edits must be at least 1") }
            if let paraphrases, paraphrases < 0 { throw ValidationError("--paraphrases must be 0 or more") }
            guard fluencyEdits >= 0 else { throw ValidationError("--fluency-edits must be 0 or more") }
            guard checkpointEvery >= 0 else { throw ValidationError("--checkpoint-every must be 0 or more") }
            guard !(resume && fresh) else { throw ValidationError("--resume and --fresh exclude each other") }
            if let label, label.isEmpty || label.contains("/") { throw ValidationError("--label must be a non-empty name without /") }
        }

        /// The report's file name: lifelong-<label or method>-<T>[-<settings>] (settings only without a label).
        func reportName(editCount: Int) -> String {
            if let label { return "lifelong-\(label)-\(editCount)" }
            let settings = configurationSettings.settings
            return "lifelong-\(method)-\(editCount)" + (paraphrases.map { "-p\($0)" } ?? "")
                + (settings.isEmpty ? "" : "-" + settings.joined(separator: "_"))
        }

        func run() throws {
            if status {
                print(LifelongProgress.status(folder: out))
                return
            }
            if ProcessInfo.processInfo.environment[BackgroundLaunch.childVariable] != nil { BackgroundLaunch.detachFromTerminal() }
            let records = Array(try EditFileReader.readAll(path: file).prefix(edits)).map { record in
                var r = record
                if let paraphrases { r.paraphrases = Array(r.paraphrases.prefix(paraphrases)) }
                return r
            }
            let name = reportName(editCount: records.count)
            let folder = URL(fileURLWithPath: out)
            let checkpointPath = folder.appendingPathComponent(name + ".checkpoint").path
            let progressPath = LifelongProgress.path(folder: out, name: name)
            let logPath = folder.appendingPathComponent(name + ".log").path
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            if let other = try? LifelongProgress(contentsOf: progressPath), other.phase == .running, other.processAlive,
               other.pid != getpid() {
                throw CommandFailure(description: "\(name) is already running in process \(other.pid) (see --status): "
                                     + "let it finish or stop it with kill \(other.pid) first")
            }
            let hasCheckpoint = FileManager.default.fileExists(atPath: checkpointPath)
            if hasCheckpoint, !resume, !fresh {
                throw CommandFailure(description: "\(checkpointPath) holds an earlier run of \(name): pass --resume to continue it or --fresh to start over")
            }
            var resumeArguments = Array(CommandLine.arguments.dropFirst()).filter { $0 != "--fresh" && $0 != "--resume" && $0 != "--background" }
            resumeArguments += ["--resume", "--background"]
            let resumeCommand = (["elder-bench"] + resumeArguments).map(shellQuoted).joined(separator: " ")
            let isChild = ProcessInfo.processInfo.environment[BackgroundLaunch.childVariable] != nil
            var pid = getpid()
            var checkpointed: Int?
            func progress(_ state: LifelongRunState, _ phase: LifelongProgress.Phase) -> LifelongProgress {
                var p = LifelongProgress(name: name, phase: phase, pid: pid, state: state, editCount: records.count,
                                         checkpointedEdits: checkpointed)
                p.log = isChild || background ? logPath : nil
                p.resumeCommand = resumeCommand
                return p
            }
            // Written before anything slow, so a second start of the same run is refused at once.
            let starting = LifelongRunState(baseline: ProbeBaseline())
            if background {
                pid = try BackgroundLaunch.start(log: logPath)
                try progress(starting, .running).write(to: progressPath)
                print("""
                started \(name) in the background (process \(pid)), \(records.count) edits
                  log:      tail -f \(logPath)
                  progress: elder-bench lifelong --status --out \(out)
                  report:   \(folder.appendingPathComponent(name + ".md").path) when it finishes
                """)
                return
            }
            try progress(starting, .running).write(to: progressPath)
            if fresh, hasCheckpoint { try FileManager.default.removeItem(atPath: checkpointPath) }

            let loaded = try LoadedModel.load(model)
            let m = EditorConfiguration.Method(rawValue: method)!
            let overrides = try configurationSettings.overrides()
            let configuration = try EditorConfiguration.preset(m, blockCount: loaded.configuration.layerCount).applying(overrides)
            let run = LifelongRun(checkpoints: LifelongRun.evenCheckpoints(checkpoints, editCount: records.count),
                                  afterEachEdit: afterEach)
            let digest = EditRecord.digest(records)
            let parameters = LifelongRunParameters(
                name: label ?? method, method: method, settings: overrides, configuration: configuration, model: loaded.path,
                editSet: file, editSetDigest: digest, editCount: records.count,
                checkpoints: run.evaluationProtocol(editCount: records.count, editSet: file).checkpoints, afterEachEdit: afterEach)

            let subject: EditorUnderTest
            var hooks = LifelongRunHooks(checkpointEvery: checkpointEvery)
            hooks.baseGenerator = BaseModelGenerator(model: loaded)
            hooks.fluencyEdits = fluencyEdits
            if resume, hasCheckpoint {
                let saved = try LifelongCheckpoint(contentsOf: checkpointPath)
                if let difference = saved.parameters.difference(from: parameters) {
                    let failure = CommandFailure(description: "the checkpoint \(checkpointPath) is of another run (\(difference)): "
                                                 + "resume with its options or pass --fresh")
                    var p = progress(saved.state, .failed)
                    p.error = failure.description
                    try? p.write(to: progressPath)
                    throw failure
                }
                subject = try saved.editor(model: loaded)
                hooks.resume = saved.state
                FileHandle.standardError.write(Data("resuming \(name) after \(saved.state.editsApplied) of \(records.count) edits\n".utf8))
            } else {
                if resume { FileHandle.standardError.write(Data("no checkpoint at \(checkpointPath): starting from the first edit\n".utf8)) }
                subject = EditorUnderTest(editor: try makeEditor(model: loaded, configuration: configuration), model: loaded.model,
                                          stop: loaded.stopTokenIDs)
                hooks.baseline = try sharedBaseline(records: records, loaded: loaded)
            }

            checkpointed = hooks.resume?.editsApplied
            if let resumed = hooks.resume { try progress(resumed, .running).write(to: progressPath) }
            hooks.checkpoint = { state in
                try LifelongCheckpoint(parameters: parameters, state: state, editor: subject).write(to: checkpointPath)
                checkpointed = state.editsApplied
                if isChild { FileHandle.standardError.write(Data("checkpoint after \(state.editsApplied) edits\n".utf8)) }
            }
            let start = Date()
            var lastState: LifelongRunState?
            hooks.afterEdit = { state in
                lastState = state
                try progress(state, .running).write(to: progressPath)
                let t = state.editsApplied
                if t % 10 == 0 || t == records.count {
                    // In a log file (background), one line each; on a terminal, one line updated in place.
                    let eta = progress(state, .running).etaSeconds.map { ", ETA \(Int($0)) s" } ?? ""
                    let text = "\(t)/\(records.count) edits, \(Int(Date().timeIntervalSince(start))) s this session\(eta)"
                    FileHandle.standardError.write(Data((isChild ? text + "\n" : "\r" + text).utf8))
                }
            }
            var result: MethodResult
            do {
                result = try run.run(method: label ?? method, edits: records, editor: subject,
                                     base: BaseModelScorer(model: loaded.model), encoder: TokenizerEncoder(tokenizer: loaded.tokenizer),
                                     hooks: hooks)
            } catch {
                if let state = lastState ?? hooks.resume {
                    var p = progress(state, .failed)
                    p.error = "\(error)"
                    try? p.write(to: progressPath)
                }
                throw error
            }
            FileHandle.standardError.write(Data("\n".utf8))
            let steps = subject.outcomes.map(\.iterations).sorted()
            let converged = subject.outcomes.filter(\.converged).count
            result.method = method
            result.settings = overrides
            result.configuration = configuration.settings
            result.notes = "settings: \(overrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")); "
                + "median steps \(steps.isEmpty ? 0 : steps[steps.count / 2]), converged \(converged)/\(steps.count)"
            if diagnose {
                let d = try GeneralizationDiagnosis.measure(records, subject: subject, encoder: TokenizerEncoder(tokenizer: loaded.tokenizer))
                result.notes = (result.notes ?? "") + "; " + d.markdown
            }
            let report = LifelongReport(title: "Lifelong editing: \(label ?? method), T = \(records.count)",
                                        evaluationProtocol: run.evaluationProtocol(editCount: records.count, editSet: file,
                                                                                   editSetDigest: digest,
                                                                                   trainingParaphrases: paraphrases),
                                        environment: LifelongReport.standardEnvironment(model: loaded.path), methods: [result])
            let paths = try report.write(to: out, name: name)
            if let state = lastState ?? hooks.resume {
                var p = progress(state, .finished)
                p.report = paths.first
                try p.write(to: progressPath)
            }
            print(report.markdown)
        }
    }
}

extension ElderBenchCommand.Lifelong {
    /// The base model's answers to the probes are the same for every method: measured once per model and
    /// kept beside the reports (`<out>/probe-baseline-<model file>.json`), extended with any probe it lacks.
    /// Written to a temporary file of this process and renamed, so runs started together do not clash.
    func sharedBaseline(records: [EditRecord], loaded: LoadedModel) throws -> ProbeBaseline {
        let cachePath = URL(fileURLWithPath: out)
            .appendingPathComponent("probe-baseline-" + URL(fileURLWithPath: loaded.path).lastPathComponent + ".json").path
        var baseline = (try? JSONDecoder().decode(ProbeBaseline.self, from: Data(contentsOf: URL(fileURLWithPath: cachePath))))
            ?? ProbeBaseline()
        let before = baseline
        try baseline.measure(records.flatMap(\.probes), base: BaseModelScorer(model: loaded.model),
                             encoder: TokenizerEncoder(tokenizer: loaded.tokenizer))
        if baseline != before {
            try JSONEncoder().encode(baseline).write(to: URL(fileURLWithPath: cachePath), options: .atomic)
        }
        return baseline
    }
}

/// A word for a POSIX shell: as is when safe, else in single quotes.
func shellQuoted(_ word: String) -> String {
    let safe = word.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./=,:@+".unicodeScalars.contains($0) }
    return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
