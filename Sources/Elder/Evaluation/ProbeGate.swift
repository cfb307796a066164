import ElderEditing
import ElderRecords
import ElderStore
import Foundation

/// One probe of an edit's gate (`elder edit --probes`), checked on the state before the edit and on the
/// trained state. A probe passes as in `elder eval`: with an expected answer when the model gives it,
/// without one when it answers as the base model (teacher-forced on the base model's greedy answer).
public struct ProbeChange: Codable, Sendable, Equatable {
    public var prompt: String
    public var check: ProbeEvaluation.Check
    /// The answer the probe wants: its `expected`, or the base model's greedy answer (nil when it was not
    /// needed: the adapter fired on neither state, so the model answered as the base model on both).
    public var wanted: String?
    public var before: Bool
    public var after: Bool
    /// Passed before the edit and fails after it: the edit would break it.
    public var broken: Bool { before && !after }
}

/// Probes an edit must not break: every probe that passes before the edit must still pass on the trained
/// state (what would be committed), or the edit is refused (`WorkspaceError.probesBroken`) and nothing is
/// committed. Probes that already fail before the edit do not count against it.
public struct ProbeGate: Sendable {
    public var probes: [Probe]
    /// Greedy tokens of a base-model answer (probes without an expected answer).
    public var answerTokens: Int

    public init(probes: [Probe], answerTokens: Int = 8) {
        self.probes = probes
        self.answerTokens = answerTokens
    }
}

/// Which probe gate an edit lands through.
public enum ProbeGateChoice: Sendable {
    /// The repo's standing gate: the probe file git config `elder.probes` names (a relative path is from
    /// the repo), else `<repo>/probes.jsonl` when it exists (the rule the sample pre-edit hook follows
    /// too); none without either.
    case standing
    /// These probes instead of the standing gate (`elder edit --probes FILE`).
    case probes(ProbeGate)
    /// No gate (`elder edit --no-verify`).
    case off
}

extension RepoHistory {
    /// Git config key naming a probe file every edit of the repo must not break.
    public static let probesKey = "elder.probes"

    /// The gate `choice` stands for in this repo (nil: none). An unreadable standing probe file is
    /// `unreadableProbeGate`, naming the setting and how to get past it.
    public func probeGate(_ choice: ProbeGateChoice) throws -> ProbeGate? {
        switch choice {
        case .off: return nil
        case .probes(let gate): return gate
        case .standing:
            let repoDir = repository.gitDirectory as NSString
            var configured = try repository.configValue(Self.probesKey) ?? ""
            if configured.isEmpty {
                configured = repoDir.appendingPathComponent("probes.jsonl")
                guard FileManager.default.fileExists(atPath: configured) else { return nil }
            } else if !configured.hasPrefix("/") {
                configured = repoDir.appendingPathComponent(configured)
            }
            do { return ProbeGate(probes: try ProbeFile.read(path: configured)) } catch {
                throw WorkspaceError.unreadableProbeGate(key: Self.probesKey, problem: error.description)
            }
        }
    }
}

extension Workspace {
    /// Each probe of `gate` on the tip `before` (state hash `beforeHash`) and on `after`, for the repo that
    /// holds `commit`.
    ///
    /// Cost: with a deferral memory (the ELDER methods) the query is computed once per probe (the frozen
    /// blocks below it) and routed on both states; when neither fires, both states compute exactly the base
    /// model, so the verdict cannot change: a base-answer probe passes on both, an expected-answer probe
    /// gets one base teacher-forced pass. Only probes some state fires on get a teacher-forced pass per
    /// state (on the base model's greedy answer, computed once per workspace, for base-answer probes). The
    /// verdicts on a committed state are kept (`rememberProbeVerdicts`), so in a stream the state an edit
    /// committed is not probed again as the next edit's tip.
    /// (`routeFirst: false` skips the routing shortcut: every probe gets its passes, for tests.)
    func probeChanges(_ gate: ProbeGate, before: any Editor, beforeHash: String, after: any Editor,
                      commit: ObjectID, routeFirst: Bool = true) throws -> [ProbeChange] {
        let measurer = Measurer(model: model)
        let known = probeVerdicts.flatMap { $0.stateHash == beforeHash && $0.probes == gate.probes ? $0.passed : nil }
        let routed = routeFirst ? (before as? MixtureEditor).flatMap { b in (after as? MixtureEditor).map { (b, $0) } } : nil
        return try gate.probes.enumerated().map { i, probe in
            if let (b, a) = routed {
                let query = b.rawQuery(tokens: model.tokenizer.encode(probe.prompt))
                if !b.route(query: query).fired, !a.route(query: query).fired {
                    guard let expected = probe.expected, !expected.isEmpty else {
                        return ProbeChange(prompt: probe.prompt, check: .base, wanted: nil, before: true, after: true)
                    }
                    let passes = known?[i] ?? measurer.check(editor: before, prompt: probe.prompt, target: expected).exactMatch
                    return ProbeChange(prompt: probe.prompt, check: .expected, wanted: expected, before: passes, after: passes)
                }
            }
            let tokens: [Int], wanted: String, check: ProbeEvaluation.Check
            if let expected = probe.expected, !expected.isEmpty {
                (tokens, wanted, check) = (model.tokenizer.encode(expected), expected, .expected)
            } else {
                let base = try baseAnswer(probe.prompt, maxTokens: gate.answerTokens, commit: commit)
                (tokens, wanted, check) = (base.tokens, base.text, .base)
            }
            let passes = { (editor: any Editor) in measurer.check(editor: editor, prompt: probe.prompt, targetTokens: tokens).exactMatch }
            return ProbeChange(prompt: probe.prompt, check: check, wanted: wanted, before: known?[i] ?? passes(before), after: passes(after))
        }
    }

    /// Keeps the gate's verdicts on a committed state (the `after` of `changes`) for the next edit's tip.
    func rememberProbeVerdicts(_ gate: ProbeGate, _ changes: [ProbeChange], stateHash: String) {
        probeVerdicts = (stateHash, gate.probes, changes.map(\.after))
    }
}
