import ArgumentParser
import Elder
import ElderCommandLine
import ElderRecords
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder bisect …`: finds the edit that broke an answer, as `git bisect` finds the commit that broke a build.
    struct Bisect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find the commit that broke an answer by binary search.",
            discussion: """
                Git's algorithm over the commit graph, merges included; the state lives in the repo \
                (refs/bisect/*, as git keeps it), so marks can be made by separate commands. Nothing is checked \
                out: each step prints the id of the commit to test; `elder ask PROMPT --rev ID` answers there.
                Example:
                  elder bisect start main main~60
                  elder bisect run --probe "The capital of France is" --expect " Paris"
                  elder bisect reset
                """,
            subcommands: [Start.self, Good.self, Bad.self, Skip.self, Run.self, Log.self, Reset.self])

        /// One step of a bisection, for `--json`.
        struct StepReport: Encodable {
            /// "test", "test-merge-base", "first-bad", "only-skipped-left", or "waiting" (no good commit yet).
            var status: String
            var commit: String?
            var summary: String?
            var editID: String?
            var remaining: Int?
            var steps: Int?
            var candidates: [String]?
        }

        static func report(_ step: BisectStep, store: KnowledgeStore) -> StepReport {
            func summary(_ id: ObjectID) -> (String?, String?) {
                guard let info = try? store.info(of: id) else { return (nil, nil) }
                return (info.message.split(separator: "\n").first.map(String.init), info.editID)
            }
            switch step {
            case let .test(id, remaining, steps):
                let (s, e) = summary(id)
                return StepReport(status: "test", commit: id.hex, summary: s, editID: e, remaining: remaining, steps: steps)
            case let .testMergeBase(id):
                let (s, e) = summary(id)
                return StepReport(status: "test-merge-base", commit: id.hex, summary: s, editID: e)
            case let .firstBad(id):
                let (s, e) = summary(id)
                return StepReport(status: "first-bad", commit: id.hex, summary: s, editID: e)
            case let .onlySkippedLeft(ids):
                return StepReport(status: "only-skipped-left", candidates: ids.map(\.hex))
            }
        }

        /// git's wording for a step.
        static func human(_ r: StepReport) -> String {
            let subject = [r.summary.map { "\"\($0)\"" }, r.editID.map { "(edit \($0))" }].compactMap { $0 }.joined(separator: " ")
            switch r.status {
            case "test":
                let left = r.remaining ?? 0, steps = r.steps ?? 0
                return "Bisecting: \(left) revision\(left == 1 ? "" : "s") left to test after this (roughly \(steps) step\(steps == 1 ? "" : "s"))\n"
                    + "[\(r.commit ?? "")] \(subject)"
            case "test-merge-base":
                return "Bisecting: a merge base must be tested\n[\(r.commit ?? "")] \(subject)"
            case "first-bad":
                return "\(r.commit ?? "") is the first bad commit\n    \(subject)"
            case "only-skipped-left":
                return "There are only 'skip'ped commits left to test.\nThe first bad commit could be any of:\n"
                    + (r.candidates ?? []).joined(separator: "\n") + "\nWe cannot bisect more!"
            default:
                return "Waiting for a good commit: `elder bisect good REV`"
            }
        }

        /// Prints a step (JSON or git's text).
        static func emit(_ step: BisectStep, store: KnowledgeStore, console: Console) throws {
            let r = report(step, store: store)
            try console.emit(r) { human(r) }
        }

    }
}

extension ElderCommand.Bisect {
    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a bisection with a bad revision and good ones (ends any bisection in progress).",
            discussion: "Example: elder bisect start HEAD HEAD~40")

        @Argument(help: ArgumentHelp("A revision that answers wrongly.", valueName: "BAD"))
        var bad: String
        @Argument(help: ArgumentHelp("Revisions that answer rightly.", valueName: "GOOD"))
        var good: [String] = []
        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let history = try RepoHistory.open(at: try repo.repoPath())
            if let step = try history.bisectStart(bad: bad, good: good) {
                try ElderCommand.Bisect.emit(step, store: history.store, console: output.console)
            } else {
                let r = ElderCommand.Bisect.StepReport(status: "waiting")
                try output.console.emit(r) { ElderCommand.Bisect.human(r) }
            }
        }
    }

    /// `good`, `bad` and `skip` share their shape: an optional revision, the commit waiting to be tested by default.
    struct MarkArguments: ParsableArguments {
        @Argument(help: ArgumentHelp("The revision to mark (default: the commit waiting to be tested).", valueName: "REV"))
        var revision: String?
        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        func mark(_ verdict: BisectVerdict) throws {
            let history = try RepoHistory.open(at: try repo.repoPath())
            try ElderCommand.Bisect.emit(try history.bisectMark(verdict, revision), store: history.store, console: output.console)
        }
    }

    struct Good: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a revision good (it answers rightly).")
        @OptionGroup var mark: MarkArguments
        func run() throws { try mark.mark(.good) }
    }

    struct Bad: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a revision bad (it answers wrongly).")
        @OptionGroup var mark: MarkArguments
        func run() throws { try mark.mark(.bad) }
    }

    struct Skip: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Skip a revision that cannot be tested.")
        @OptionGroup var mark: MarkArguments
        func run() throws { try mark.mark(.skip) }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decide every remaining commit automatically and print the first bad one.",
            discussion: """
                A probe is good when the model's greedy continuation of PROMPT starts with ANSWER exactly (leading \
                space and case count). With --probes, every probe of the file must be good. With a command, its \
                exit status decides as in `git bisect run`: 0 good, 125 skip, 1-127 bad, 128 or more aborts; it \
                gets the commit to test in ELDER_BISECT_REV and the repo in ELDER_REPO.
                Examples:
                  elder bisect run --probe "The capital of France is" --expect " Paris"
                  elder bisect run --probes Samples/probes/locality.jsonl
                  elder bisect run -- sh -c 'elder ask "The CEO of Acme is" --rev "$ELDER_BISECT_REV" | grep -q Jane'
                """)

        @Option(name: .long, help: ArgumentHelp("The prompt to probe.", valueName: "PROMPT"))
        var probe: String?
        @Option(name: .long, help: ArgumentHelp("The answer a good commit gives (with its leading space).", valueName: "ANSWER"))
        var expect: String?
        @Option(name: .long, help: ArgumentHelp("A probe file (JSON Lines: prompt, expected or datasetAnswer).", valueName: "FILE"))
        var probes: String?
        @Argument(parsing: .postTerminator, help: ArgumentHelp("A command deciding each commit (after --).", valueName: "CMD"))
        var command: [String] = []
        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            let given = [probe != nil || expect != nil, probes != nil, !command.isEmpty].filter { $0 }.count
            guard given == 1 else {
                throw ValidationError("give exactly one of --probe PROMPT --expect ANSWER, --probes FILE, or -- CMD ARGS...")
            }
            if (probe == nil) != (expect == nil) { throw ValidationError("--probe and --expect go together") }
        }

        struct Test: Encodable {
            var commit: String
            var verdict: String
            var answer: String?
        }

        struct Report: Encodable {
            var tests: [Test]
            var probeRuns: Int
            var firstBad: String?
            var result: ElderCommand.Bisect.StepReport
        }

        func run() throws {
            let console = output.console
            let decider: BisectDecider
            if let probe, let expect {
                decider = .probe(prompt: probe, expected: expect)
            } else if let probes {
                decider = .probes(try ProbeFile.read(path: probes))
            } else {
                decider = .command(command)
            }
            let workspace = try repo.openWorkspace()
            let result = try workspace.bisectRun(decider)
            let final = ElderCommand.Bisect.report(result.step, store: workspace.store)
            let report = Report(tests: result.tests.map { Test(commit: $0.commit.hex, verdict: $0.verdict.rawValue, answer: $0.answer) },
                                probeRuns: result.probeRuns, firstBad: result.firstBad?.hex, result: final)
            try console.emit(report) {
                var lines = result.tests.map { t in
                    "[\(t.commit.short)] \(t.verdict.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0))"
                        + (t.answer.map { " \"\($0.replacingOccurrences(of: "\n", with: "\\n"))\"" } ?? "")
                }
                lines.append("\(result.probeRuns) probe run\(result.probeRuns == 1 ? "" : "s")")
                lines.append(ElderCommand.Bisect.human(final))
                if let bad = result.firstBad { lines.append(bad.hex) }
                return lines.joined(separator: "\n")
            }
            if result.firstBad == nil {
                throw CLIFailure.failure("the bisection ended without a single first bad commit (only skipped commits left)")
            }
        }
    }

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the marks made so far.")
        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Entry: Encodable {
            var kind: String
            var commits: [String]
        }

        /// `--json`: the marks in the order they were made.
        struct Report: Encodable { var entries: [Entry] }

        func run() throws {
            let history = try RepoHistory.open(at: try repo.repoPath())
            let store = history.store
            let entries = try history.bisectLog()
            try output.console.emit(Report(entries: entries.map { Entry(kind: $0.kind.rawValue, commits: $0.commits.map(\.hex)) })) {
                entries.map { e in
                    let summary = e.kind == .start ? "" : (try? store.info(of: e.commits[0]))
                        .flatMap { $0.message.split(separator: "\n").first.map { "  \"\($0)\"" } } ?? ""
                    return "\(e.kind.rawValue) " + e.commits.map(\.hex).joined(separator: " ") + summary
                }.joined(separator: "\n")
            }
        }
    }

    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End the bisection and remove its marks.")
        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Report: Encodable { var wasBisecting: Bool }

        func run() throws {
            let wasBisecting = try RepoHistory.open(at: try repo.repoPath()).bisectReset()
            try output.console.emit(Report(wasBisecting: wasBisecting)) {
                wasBisecting ? "Bisect reset." : "We are not bisecting."
            }
        }
    }
}
