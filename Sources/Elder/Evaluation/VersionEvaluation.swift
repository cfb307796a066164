import ElderEditing
import ElderRecords
import ElderStore
import Foundation

/// How one live edit holds at a version: teacher-forced exact match of its target on its prompt and on
/// each training paraphrase (the same measurement `edit` recorded at commit time, on this version's state).
public struct EditEvaluation: Codable, Sendable, Equatable {
    public var id: String
    public var prompt: String
    public var target: String
    public var holds: Bool
    public var fired: Bool
    public var tokensCorrect: Int
    public var targetTokens: Int
    public var paraphrases: [PromptCheck]
    /// Mean exact match over the paraphrases (nil when the edit has none).
    public var paraphraseReliability: Double?
}

/// One probe at a version. With an `expected` answer, the probe passes when the model gives it
/// (teacher-forced exact match of every token); with none, when the greedy answer is the base model's
/// (the answer at the repo's first version, before any edit): locality means "answers as before".
public struct ProbeEvaluation: Codable, Sendable, Equatable {
    public enum Check: String, Codable, Sendable {
        case expected
        case base
    }
    public var prompt: String
    public var check: Check
    /// The answer the probe wants: its `expected`, or the base model's greedy answer.
    public var wanted: String
    /// The greedy answer at the version.
    public var answer: String
    public var passed: Bool
}

/// `elder eval` at one version: every live edit and every probe.
public struct VersionEvaluation: Codable, Sendable, Equatable {
    public var commit: String
    public var stateHash: String
    public var edits: [EditEvaluation]
    /// Fraction of live edits that hold (nil without live edits).
    public var reliability: Double?
    /// Mean paraphrase reliability over the edits that have paraphrases (nil when none has).
    public var paraphraseReliability: Double?
    public var probes: [ProbeEvaluation]
    public var probesPassed: Int
    /// Fraction of probes that pass (nil without probes).
    public var probePassRate: Double?
    public var probesFailed: Int { probes.count - probesPassed }
}

extension Workspace {
    /// Measures every live edit and `probes` at `revision`. Greedy answers stop after `maxTokens` tokens.
    public func evaluate(at revision: String = "HEAD", probes: [Probe] = [], maxTokens: Int = 8) throws -> VersionEvaluation {
        let commit = try resolve(revision)
        for (i, probe) in probes.enumerated() {
            try checkContext("probe \(i + 1)'s prompt", probe.prompt + (probe.expected ?? ""), requested: maxTokens)
        }
        let version = try self.version(of: commit)
        let editor = try self.editor(for: version)
        let measurer = Measurer(model: model)
        let bodies = try liveEdits(of: commit)
        for body in bodies {
            for prompt in [body.prompt] + body.paraphrases { try checkContext("edit \(body.id)'s prompt and target", prompt + body.target) }
        }
        let edits = bodies.map { body -> EditEvaluation in
            let check = measurer.check(editor: editor, prompt: body.prompt, target: body.target)
            let paraphrases = body.paraphrases.map { measurer.check(editor: editor, prompt: $0, target: body.target) }
            return EditEvaluation(id: body.id, prompt: body.prompt, target: body.target, holds: check.exactMatch, fired: check.fired,
                                  tokensCorrect: check.tokensCorrect, targetTokens: check.targetTokens, paraphrases: paraphrases,
                                  paraphraseReliability: paraphrases.isEmpty ? nil
                                      : Double(paraphrases.filter(\.exactMatch).count) / Double(paraphrases.count))
        }
        var results: [ProbeEvaluation] = []
        for probe in probes {
            let answer = try self.answer(probe.prompt, editor: editor, maxTokens: maxTokens, commit: commit)
            if let expected = probe.expected, !expected.isEmpty {
                let check = measurer.check(editor: editor, prompt: probe.prompt, target: expected)
                results.append(ProbeEvaluation(prompt: probe.prompt, check: .expected, wanted: expected, answer: answer.text,
                                               passed: check.exactMatch))
            } else {
                let base = try baseAnswer(probe.prompt, maxTokens: maxTokens, commit: commit)
                results.append(ProbeEvaluation(prompt: probe.prompt, check: .base, wanted: base.text, answer: answer.text,
                                               passed: base.tokens == answer.tokens))
            }
        }
        let withParaphrases = edits.compactMap(\.paraphraseReliability)
        let passed = results.filter(\.passed).count
        return VersionEvaluation(
            commit: commit.hex, stateHash: version.stateHash, edits: edits,
            reliability: edits.isEmpty ? nil : Double(edits.filter(\.holds).count) / Double(edits.count),
            paraphraseReliability: withParaphrases.isEmpty ? nil : withParaphrases.reduce(0, +) / Double(withParaphrases.count),
            probes: results, probesPassed: passed, probePassRate: results.isEmpty ? nil : Double(passed) / Double(results.count))
    }

    /// The repo's first version with a codebook and no edit: depth 1 on `commit`'s first-parent chain (the
    /// commit `init` writes after the root). Its answers are the base model's.
    func baseVersion(of commit: ObjectID) throws -> ObjectID {
        var current = commit
        while true {
            let info = try store.info(of: current)
            if info.depth <= 1 { return current }
            guard let parent = info.parents.first else { return current }
            current = parent
        }
    }
}
