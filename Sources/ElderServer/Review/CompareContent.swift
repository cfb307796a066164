import Elder
import ElderStore
import Foundation

/// The Compare page: what two versions know differently (edits added, removed, changed) and how they
/// answer the repo's probes, side by side.
struct CompareContent {
    struct EditChange {
        var change: String
        var id: String
        var prompt: String
        var target: String
    }
    struct ProbeAnswer {
        var prompt: String
        var expected: String?
        var before: String
        var after: String
        var changed: Bool
    }

    var from: String
    var to: String
    var edits: [EditChange]
    var noKnowledgeChange: Bool
    var probes: [ProbeAnswer]
    var hasProbes: Bool
    var behaviourSummary: String
    var versions: [String]

    /// Tokens of each probe's answer.
    static let answerTokens = 8
    /// Probes answered on one page at most (two answers each).
    static let maxProbes = 200

    static func make(_ workspace: Workspace, from: String, to: String) throws -> CompareContent {
        let history = workspace.history
        func commit(_ name: String) throws -> ObjectID {
            guard RevisionName.isAllowed(name) else { throw ReviewProblem.notFound("There is no version named “\(name)”.") }
            do { return try history.resolve(name) } catch WorkspaceError.unknownRevision {
                throw ReviewProblem.notFound("There is no version named “\(name)”.")
            }
        }
        let a = try commit(from), b = try commit(to)
        let diff = try VersionDiff.knowledge(workspace.store, from: a, to: b)
        let edits = diff.added.map { EditChange(change: "added", id: $0.id, prompt: $0.prompt, target: $0.target) }
            + diff.removed.map { EditChange(change: "removed", id: $0.id, prompt: $0.prompt, target: $0.target) }
            + diff.changed.map { EditChange(change: "changed", id: $0.id, prompt: $0.prompt, target: $0.target) }
        var probes: [ProbeAnswer] = []
        let gate = try history.probeGate(.standing)
        for probe in (gate?.probes ?? []).prefix(maxProbes) {
            let before = try workspace.ask(probe.prompt, at: a.hex, maxTokens: answerTokens)
            let after = try workspace.ask(probe.prompt, at: b.hex, maxTokens: answerTokens)
            probes.append(ProbeAnswer(prompt: probe.prompt, expected: probe.expected, before: before.text, after: after.text,
                                      changed: before.tokens != after.tokens))
        }
        let changed = probes.filter(\.changed).count
        let versions = try RevisionName.listed(history)
        return CompareContent(from: from, to: to, edits: edits, noKnowledgeChange: edits.isEmpty, probes: probes,
                              hasProbes: gate != nil,
                              behaviourSummary: "\(changed) of \(probes.count) probes answer differently.", versions: versions)
    }
}

/// The Ask page: a prompt answered by any version, and why the adapter fired or not.
struct AskContent {
    struct Answer {
        var prompt: String
        var text: String
        var version: String
        var commit: String
        var short: String
        var lines: [String]
    }

    var prompt: String
    var version: String
    var answer: Answer?
    var versions: [String]

    static let answerTokens = 16
    static let maxPromptBytes = 4096

    static func make(_ workspace: Workspace, prompt: String?, version: String) throws -> AskContent {
        let history = workspace.history
        let versions = try RevisionName.listed(history)
        var content = AskContent(prompt: prompt ?? "", version: version, answer: nil, versions: versions)
        guard let prompt, !prompt.isEmpty else { return content }
        guard prompt.utf8.count <= maxPromptBytes else {
            throw ReviewProblem(status: .badRequest, headline: "The prompt is too long.", lines: ["Keep it under \(maxPromptBytes) bytes."])
        }
        guard RevisionName.isAllowed(version) else { throw ReviewProblem.notFound("There is no version named “\(version)”.") }
        let answer = try { () throws in
            do { return try workspace.ask(prompt, at: version, maxTokens: answerTokens) } catch WorkspaceError.unknownRevision {
                throw ReviewProblem.notFound("There is no version named “\(version)”.")
            }
        }()
        content.answer = Answer(prompt: prompt, text: answer.text, version: version, commit: answer.commit.hex, short: answer.commit.short,
                                lines: RoutingDescription.lines(answer.routing))
        return content
    }
}
