import ArgumentParser
import Elder
import ElderCommandLine
import ElderEditing
import ElderRecords
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder edit PROMPT TARGET -m MESSAGE` and `elder edit --file EDITS.jsonl`: train facts into the
    /// model and commit each on the current branch.
    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Teach the model a fact: train it and commit it on the current branch.",
            discussion: """
                One edit = one commit. The branch moves only when the commit is complete, so an interrupted \
                edit leaves nothing behind. With --file, every edit of the file is applied in order (one \
                commit each, a progress bar on standard error); rerunning after an interruption skips the \
                edits already live on the branch (or superseded there by a later line) and goes on with the rest.
                The repo's hooks run unless --no-verify: pre-edit (may reject the edit), commit-msg (may \
                rewrite or reject the message), post-commit.
                TARGET continues the prompt's text, so it starts with a space: " Lyon", not "Lyon".
                A prompt has one live answer, as a path has one content: editing a prompt that already has a \
                live edit (same text after Unicode composition, lower-casing and whitespace collapsing) with \
                another TARGET supersedes that edit in the same commit — its update is taken out exactly as \
                `elder revert` would, then the new fact is trained; the message, `elder show` and `elder log` \
                name the superseded edit, and `elder revert` of the commit brings it back. The same TARGET \
                again is "nothing to do" (exit 0, no commit). In a --file stream a later line of a prompt \
                supersedes an earlier one.
                Examples:
                  elder edit "The capital of France is" " Lyon" -m "France moved its capital"
                  elder edit "The basic plan costs" " $12"   # supersedes its live " $10" edit
                  elder edit "The CEO of Acme is" " Jane Doe" --paraphrase "Acme's chief executive is" -m "New CEO"
                  elder edit --file Samples/edits/company-faq.jsonl
                  elder edit --file zsre_mem_eval.json --format zsre --quiet
                  elder edit --file edits.jsonl --json-lines | jq -c 'select(.type == "committed")'
                  elder edit "The CEO of Acme is" " Jane Doe" --probes probes.jsonl --dry-run
                With --file, --json prints one document at the end (also when the stream stops at an error: \
                then with "error" set, before the non-zero exit); --json-lines prints an event per line as the \
                stream goes, for scripts that follow a long file.
                Checks before an edit lands: --probes FILE runs each probe (as `elder eval --probes` does) on the \
                model before the edit and on the trained model that would be committed; a probe that passed and \
                now fails refuses the edit (exit 1, nothing committed; in a --file stream, the stream stops there). \
                --dry-run does all of it and commits nothing. A repo can make the check standing for every edit: \
                `git config elder.probes FILE` in it (a relative path is from the repo), else a probes.jsonl in \
                the repo — the file the sample pre-edit hook protects too; --probes replaces it for one command, \
                --no-verify skips it along with the hooks.
                An edit that does not hold (the model that would be committed does not give TARGET on PROMPT, \
                after one retrain) is refused: exit 1, nothing committed, the numbers in the message; in a --file \
                stream the stream stops there. --allow-not-holding commits it anyway, with the trailer \
                Allowed-Not-Holding: yes (`git config elder.allowNotHolding true` makes that the repo's default).
                Edits in parallel: when another `elder edit` moves the branch while this one trains, the trained \
                update is moved onto the new tip and checked there (it must still hold and break no edit that \
                landed meanwhile; trailer Trained-On); when it does not fit, the edit is trained again on the new \
                tip once, else refused with nothing committed.
                """)

        @Argument(help: ArgumentHelp("The text the model completes.", valueName: "PROMPT"))
        var prompt: String?

        @Argument(help: ArgumentHelp("The answer to teach, with its leading space (\" Lyon\").", valueName: "TARGET"))
        var target: String?

        @Option(name: .shortAndLong, help: "The commit message (default: Edit \"PROMPT\" → \"TARGET\").")
        var message: String?

        @Option(name: .customLong("paraphrase"), help: ArgumentHelp("Another wording of the prompt to train on (repeatable).", valueName: "P"))
        var paraphrases: [String] = []

        @Option(name: .long, help: ArgumentHelp("The edit's id (default: made from the prompt, target and time).", valueName: "ID"))
        var id: String?

        @Option(name: .long, help: ArgumentHelp("Apply every edit of this file, one commit each (Samples/edits/FORMAT.md).", valueName: "EDITS.jsonl"))
        var file: String?

        @Option(name: .long, help: "The file's format: jsonl (Elder's edit format), zsre or counterfact.")
        var format: EditFileFormat = .jsonl

        @Flag(name: .customLong("no-verify"), help: "Do not run the repo's hooks.")
        var noVerify = false

        @Option(name: .long, help: ArgumentHelp("Probes the edit must not break (a probe file, Samples/edits/FORMAT.md): a probe that passes before the edit and fails on the trained model refuses it, nothing committed.", valueName: "PROBES.jsonl"))
        var probes: String?

        @Flag(name: .customLong("dry-run"), help: "Train, measure and check (--probes), but commit nothing.")
        var dryRun = false

        @Option(name: .long, help: ArgumentHelp("Who made the change, as `git commit --author` takes it (default: git's author identity: GIT_AUTHOR_NAME/EMAIL, else user.name/user.email); the committer stays git's committer identity.", valueName: "\"NAME <EMAIL>\""))
        var author: String?

        @Flag(name: .customLong("allow-not-holding"),
              help: "Commit an edit even when the committed model does not give TARGET (the commit then says so); without it such an edit is refused.")
        var allowNotHolding = false

        @Flag(name: .customLong("json-lines"),
              help: "With --file: print one JSON object per line as each edit lands (committed, skipped), then a summary or an error.")
        var jsonLines = false

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        enum EditFileFormat: String, ExpressibleByArgument, CaseIterable {
            case jsonl, zsre, counterfact
        }

        func validate() throws {
            if file != nil {
                guard prompt == nil, target == nil else { throw ValidationError("give either PROMPT TARGET or --file, not both") }
                guard !(jsonLines && output.json) else { throw ValidationError("give --json or --json-lines, not both") }
                guard !dryRun else {
                    throw ValidationError("--dry-run is for one edit (a stream's edits build on each other); try one with `elder edit PROMPT TARGET --dry-run`")
                }
                guard message == nil, paraphrases.isEmpty, id == nil else {
                    throw ValidationError("-m, --paraphrase and --id are for one edit; with --file put them in the file's records")
                }
            } else {
                guard prompt != nil, target != nil else { throw ValidationError("give PROMPT and TARGET, or --file EDITS.jsonl") }
                guard format == .jsonl else { throw ValidationError("--format applies to --file") }
                guard !jsonLines else { throw ValidationError("--json-lines applies to --file; use --json for one edit") }
            }
        }

        func run() throws {
            let console = output.console
            let path = try repo.repoPath()
            let history = try RepoHistory.open(at: path)
            let branch = try RepoOptions.currentBranch(of: history.repository)
            let author = try self.author.map { try Signature.parse($0) }
            // Who commits is known before any hook runs or the model loads (as git's "Please tell me who you are").
            if !dryRun { try history.repository.checkIdentities(author: author) }
            if let file {
                try EditStream(file: file, format: format, branch: branch, path: path, noVerify: noVerify, author: author,
                               repo: repo, console: jsonLines ? Console(json: true, quiet: output.quiet) : console,
                               jsonLines: jsonLines, gate: try history.probeGate(gateChoice),
                               allowNotHolding: allowNotHolding ? true : nil).run(history: history)
                return
            }
            guard let prompt, let target else { return }
            try Self.checkTarget(target)
            var request = EditRequest(id: "", prompt: prompt, target: target, paraphrases: paraphrases)
            // Nothing to do (as git's "nothing to commit"): decided before any hook runs or the model loads.
            let plan = try history.editPlan(request, on: branch)
            if let same = plan.upToDate {
                let line = UpToDate(branch: branch, editID: same.id, prompt: same.prompt, target: same.target)
                try console.emit(line) {
                    "nothing to do: edit \(same.id) already teaches \"\(same.prompt)\" → \"\(same.target)\" on \(branch)"
                }
                return
            }
            if let id {
                request.id = id
                if try history.liveEditIDs(on: branch).contains(id) {
                    throw CLIFailure.fatal("edit id '\(id)' is already live on \(branch): choose another --id, or revert that edit first")
                }
            } else {
                request.id = Workspace.makeEditID(request)  // now, so the hooks see the id the commit will have
            }
            let workspace = try repo.openWorkspace()
            // The gate is read before any hook runs, so an unreadable probe file stops the edit at once.
            let gate = try history.probeGate(gateChoice)
            let line = try Self.apply(request, message: message, workspace: workspace, branch: branch, author: author,
                                      hooks: noVerify ? nil : Hooks(repoPath: path), gate: gate, dryRun: dryRun, plan: plan,
                                      allowNotHolding: allowNotHolding ? true : nil)
            try console.emit(line) {
                (dryRun ? "[dry run: nothing committed on \(branch)] \(line.summary)\n" : "[\(branch) \(console.yellow(line.short))] \(line.summary)\n")
                    + "  " + line.human(console) + line.fluencyLine(console) + line.probeLines(console)
            }
            if dryRun, let broken = line.brokenProbes, broken > 0 {
                throw CLIFailure.failure("dry run: edit \(line.editID) would break \(broken) probe\(broken == 1 ? "" : "s") that pass now; it would be refused")
            }
        }

        /// The probe gate: --probes replaces the repo's standing one (`RepoHistory.probeGate`), --no-verify skips it.
        var gateChoice: ProbeGateChoice {
            get throws {
                if let probes { return .probes(ProbeGate(probes: try readProbeFile(probes))) }
                return noVerify ? .off : .standing
            }
        }

        /// TARGET continues the prompt, so it starts with whitespace (the edit-file reader's rule too).
        static func checkTarget(_ target: String) throws {
            guard let first = target.first, first.isWhitespace else {
                throw CLIFailure.fatal("TARGET \"\(target)\" does not start with a space — write \" \(target)\" (the answer continues the prompt)")
            }
        }

        /// Runs the hooks around `Workspace.edit` and times it: pre-edit, then commit-msg on the message,
        /// then training and the commit, then post-commit (whose failure only warns).
        static func apply(_ request: EditRequest, message: String?, workspace: Workspace, branch: String, author: Signature?,
                          hooks: Hooks?, gate: ProbeGate?, dryRun: Bool = false, plan: EditPlan? = nil,
                          allowNotHolding: Bool? = nil) throws -> EditLine {
            let started = Date()
            var text = message ?? Workspace.defaultMessage(for: request)
            if let hooks {
                try hooks.preEdit(prompt: request.prompt, target: request.target,
                                  requestJSON: try hookJSON(request, message: text, branch: branch))
                if !dryRun { text = try hooks.commitMessage(text) }  // a dry run writes no message
            }
            let result = try workspace.edit(request, message: text, on: branch, author: author, gate: gate.map(ProbeGateChoice.probes) ?? .off,
                                            dryRun: dryRun, plan: plan, allowNotHolding: allowNotHolding)
            var warning: String?
            if !result.upToDate, result.committed, let hooks, let w = hooks.postCommit(commit: result.commit.hex, editID: result.editID) {
                warning = w
                FileHandle.standardError.write(Data((Console.standardError.yellow("warning: ") + w + "\n").utf8))
            }
            return EditLine(result, message: text, seconds: Date().timeIntervalSince(started), warning: warning)
        }

        private static func hookJSON(_ request: EditRequest, message: String, branch: String) throws -> String {
            struct Body: Encodable { var id, prompt, target: String; var paraphrases: [String]; var message, branch: String }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let body = Body(id: request.id, prompt: request.prompt, target: request.target, paraphrases: request.paraphrases,
                            message: message, branch: branch)
            return String(decoding: try encoder.encode(body), as: UTF8.self)
        }
    }

    /// `elder edit` when the prompt already has this target live: nothing trained or committed.
    struct UpToDate: Encodable {
        var upToDate = true
        var branch: String
        var editID: String
        var prompt: String
        var target: String
    }

    /// One committed edit as `elder edit` reports it.
    struct EditLine: Encodable {
        var commit: String
        var editID: String
        var summary: String
        /// The committed state gives the target on the prompt (teacher-forced exact match).
        var holds: Bool
        var fired: Bool
        var reliability: Double
        var paraphraseReliability: Double?
        /// Exact match on automatic rewordings of the prompt that were not trained on.
        var rewordingReliability: Double?
        /// The greedy answer to the prompt beside the base model's continuation of prompt + target.
        var fluency: AnswerFluency?
        var iterations: Int
        var compactionRetries: Int
        /// The trained state, before it was stored on the repo's grid, gave the target.
        var trainedReliability: Double
        var seconds: Double
        var warning: String?
        /// The live edits of the same prompt this commit replaced (their updates taken out in the same commit).
        var supersedes: [SupersededEdit]
        /// Nothing was committed: the same prompt already had this target (`commit` is the branch tip).
        var upToDate: Bool
        /// --dry-run: trained and measured, nothing committed (`commit` is the branch tip).
        var dryRun: Bool
        /// --probes: each probe before and after the edit (nil without --probes).
        var probes: [ProbeChange]?
        /// Another writer moved the branch while the edit trained: the tip it was trained on (its update was
        /// moved onto the new tip and checked there), and the edits that landed meanwhile, still holding.
        var rebasedFrom: String?
        var rebaseChecked: Int?
        /// The update did not fit the moved branch: the edit was trained again on its new tip, and why.
        var retrainedAfterRace: Bool
        var raceRefusal: String?
        var brokenProbes: Int? { probes.map { $0.filter(\.broken).count } }

        var short: String { String(commit.prefix(10)) }

        init(_ result: EditResult, message: String, seconds: Double, warning: String?) {
            commit = result.commit.hex
            editID = result.editID
            summary = message.split(separator: "\n").first.map(String.init) ?? ""
            holds = result.holds
            fired = result.metrics.fired
            reliability = result.metrics.reliability
            paraphraseReliability = result.metrics.paraphraseReliability
            rewordingReliability = result.metrics.rewordingReliability
            fluency = result.metrics.fluency
            iterations = result.metrics.iterations
            compactionRetries = result.metrics.compactionRetries
            trainedReliability = result.metrics.trainedReliability
            self.seconds = seconds
            self.warning = warning
            supersedes = result.superseded
            upToDate = result.upToDate
            dryRun = !result.committed
            probes = result.probes.isEmpty ? nil : result.probes
            rebasedFrom = result.rebasedFrom?.hex
            rebaseChecked = result.rebasedFrom == nil ? nil : result.rebaseChecks.count
            retrainedAfterRace = result.retrainedAfterRace
            raceRefusal = result.raceRefusal
        }

        /// "\n  probes: 12 checked, 11 passed before, 0 broken" and a line per broken probe ("" without --probes).
        func probeLines(_ console: Console) -> String {
            guard let probes else { return "" }
            let broken = probes.filter(\.broken)
            var text = "\n  probes: \(probes.count) checked, \(probes.filter(\.before).count) passed before, "
                + (broken.isEmpty ? console.green("none broken") : console.red("\(broken.count) broken"))
            for p in broken { text += "\n    " + console.red("broken: ") + "\"\(p.prompt)\" no longer answers \"\(p.wanted ?? "")\"" }
            return text
        }

        /// "\n  answer: \" Jane Doe, who …\" · goes on as the model's own" ("" when not measured).
        func fluencyLine(_ console: Console) -> String {
            guard let f = fluency else { return "" }
            let verdict = f.check.continuationAgrees ? console.green(f.verdict)
                : (f.check.repeatsTarget ? console.red(f.verdict) : console.yellow(f.verdict))
            return "\n  answer: \"\(AnswerFluency.oneLine(f.answer))\" · " + verdict
        }

        /// "holds · paraphrases 1.00 · untrained rewordings 0.67 · 12 iterations · 3.4 s".
        func human(_ console: Console) -> String {
            let why = trainedReliability < 1 ? "training did not reach the target" : "storing the update broke it"
            var parts = [holds ? console.green("holds") : console.red("does not hold (\(why); try --paraphrase, or revert it)")]
            if !fired { parts.append(console.yellow("adapter did not fire")) }
            if let p = paraphraseReliability { parts.append("paraphrases \(String(format: "%.2f", p))") }
            if let r = rewordingReliability { parts.append("untrained rewordings \(String(format: "%.2f", r))") }
            parts.append("\(iterations) iterations")
            if compactionRetries > 0 { parts.append("\(compactionRetries) retrain") }
            parts.append(String(format: "%.1f s", seconds))
            for old in supersedes { parts.append("supersedes \(old.id) (\"\(old.target)\")") }
            if let from = rebasedFrom {
                parts.append("rebased: trained on \(from.prefix(10)), the branch moved; \(rebaseChecked ?? 0) edit"
                             + "\(rebaseChecked == 1 ? "" : "s") landed meanwhile still hold")
            }
            if let why = raceRefusal { parts.append("trained again: the branch moved and the first update did not fit (\(why))") }
            return parts.joined(separator: " · ")
        }
    }
}
