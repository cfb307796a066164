import ElderRecords
import ElderStore
import Foundation

/// How `Workspace.bisectRun` decides whether a candidate commit is good, bad or to be skipped.
public enum BisectDecider: Sendable {
    /// A probe: the model at the candidate continues `prompt` greedily for as many tokens as `expected`
    /// has plus two (stopping early at an end-of-turn token); the commit is **good iff that continuation,
    /// decoded, starts with `expected`**, byte for byte (the leading space counts, case matters). So
    /// `expected: " Paris"` accepts " Paris." and " Paris, the", and rejects " Lyon" and "Paris".
    case probe(prompt: String, expected: String)
    /// Probes from a probe file (`ProbeFile`, Samples/probes/*.jsonl): each probe's expected answer is its
    /// `expected`, or its `datasetAnswer` when `expected` is empty. Good iff every probe is good as above;
    /// probes are run in file order and the first failing one decides "bad".
    case probes([Probe])
    /// A command (program and arguments, run through `env` so `PATH` is searched), as `git bisect run`
    /// runs it: exit 0 good, 125 skip, 1–127 bad, anything else (or a signal) aborts the run. It gets the
    /// candidate's commit id in `ELDER_BISECT_REV` and the repo's path in `ELDER_REPO`; its output is
    /// passed through.
    case command([String])
}

/// One commit a bisect run decided.
public struct BisectTest: Sendable, Equatable {
    public var commit: ObjectID
    public var verdict: BisectVerdict
    /// For probes: the greedy continuation of the probe that decided (the first failing one, or the last).
    public var answer: String?
}

/// How a bisect run ended and what it cost.
public struct BisectRunResult: Sendable {
    public var step: BisectStep
    public var tests: [BisectTest]
    /// Probe evaluations (greedy continuations) or command runs.
    public var probeRuns: Int
    /// The first bad commit, when the run found exactly one.
    public var firstBad: ObjectID? {
        if case .firstBad(let id) = step { return id }
        return nil
    }
}

extension Workspace {
    // Starting, marking, logging and ending a bisection need no model: `RepoHistory` (`history`) does them.

    /// Decides commits with `decider` until the bisection in progress ends (`git bisect run`). Marks stay
    /// in the repo as they are made, so a run stopped by an error can be resumed.
    public func bisectRun(_ decider: BisectDecider, maxTests: Int = 10_000) throws -> BisectRunResult {
        let bisection = try history.bisectionInProgress()
        try validate(decider)
        var tests: [BisectTest] = []
        var runs = 0
        let step = try bisection.run(maxTests: maxTests) { commit in
            let test = try decide(commit, with: decider, runs: &runs)
            tests.append(test)
            return test.verdict
        }
        return BisectRunResult(step: step, tests: tests, probeRuns: runs)
    }

    /// Whether `prompt` at `revision` answers `expected` (the rule of `BisectDecider.probe`), with the continuation.
    public func probe(_ prompt: String, expected: String, at revision: String) throws -> (good: Bool, answer: String) {
        try probe(prompt, expected: expected, at: try resolve(revision))
    }

    func probe(_ prompt: String, expected: String, at commit: ObjectID) throws -> (good: Bool, answer: String) {
        let editor = try self.editor(for: try version(of: commit))
        let tokens = model.tokenizer.encode(expected).count + 2
        let text = try answer(prompt, editor: editor, maxTokens: tokens, commit: commit).text
        return (text.hasPrefix(expected), text)
    }

    private func validate(_ decider: BisectDecider) throws {
        switch decider {
        case .probe(let prompt, let expected):
            if prompt.isEmpty || expected.isEmpty { throw WorkspaceError.invalidProbe("the prompt and the expected answer must not be empty") }
        case .probes(let probes):
            if probes.isEmpty { throw WorkspaceError.invalidProbe("the probe file holds no probe") }
            if let p = probes.first(where: { $0.continuation == nil }) {
                throw WorkspaceError.invalidProbe("probe \"\(p.prompt)\" has neither \"expected\" nor \"datasetAnswer\"")
            }
        case .command(let arguments):
            if arguments.isEmpty { throw WorkspaceError.invalidProbe("no command given") }
        }
    }

    private func decide(_ commit: ObjectID, with decider: BisectDecider, runs: inout Int) throws -> BisectTest {
        switch decider {
        case .probe(let prompt, let expected):
            runs += 1
            let r = try probe(prompt, expected: expected, at: commit)
            return BisectTest(commit: commit, verdict: r.good ? .good : .bad, answer: r.answer)
        case .probes(let probes):
            var last = ""
            for p in probes {
                runs += 1
                let r = try probe(p.prompt, expected: p.continuation ?? "", at: commit)
                last = r.answer
                if !r.good { return BisectTest(commit: commit, verdict: .bad, answer: r.answer) }
            }
            return BisectTest(commit: commit, verdict: .good, answer: last)
        case .command(let arguments):
            runs += 1
            return BisectTest(commit: commit, verdict: try BisectVerdict(exitCode: try runCommand(arguments, commit: commit)))
        }
    }

    /// Runs `arguments` with the candidate in the environment; a signal maps to 128 + its number (an abort).
    private func runCommand(_ arguments: [String], commit: ObjectID) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["ELDER_BISECT_REV"] = commit.hex
        environment["ELDER_REPO"] = path
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }
}
