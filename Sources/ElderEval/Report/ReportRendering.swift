import ElderEditing
import ElderRecords
import Foundation

/// A rate as a percentage with one decimal ("97.5"), or "–" when nothing was measured.
func percent(_ score: MetricScore, _ kind: MetricKind) -> String {
    score.count == 0 ? "–" : String(format: "%.1f", score.value(kind) * 100)
}

extension LifelongReport {
    /// The report as Markdown: protocol, environment, final and after-each-edit tables, the curve.
    public var markdown: String {
        var lines = ["# \(title)", "", "**Protocol.** \(evaluationProtocol.description)", ""]
        if !environment.isEmpty {
            lines.append(environment.map { "\($0.0): \($0.1)" }.joined(separator: " · "))
            lines.append("")
        }
        lines.append("## Final (after all T = \(evaluationProtocol.editCount) edits)")
        lines.append("")
        lines += table(methods.map { ($0.name, $0.curve.final, $0) }, withTime: true)
        lines += ["", "tok = teacher-forced token accuracy, EM = whole-answer exact match (%); cross-talk = prompts of an edit "
                  + "whose subject has other edits that give one of those edits' targets (lower is better); s/edit = median seconds to "
                  + "apply one edit, total = all edits (scoring excluded); parameters = scalars in the adapter state after "
                  + "the last edit; peak RSS = the process's maximum resident memory (getrusage)."]
        let fluent = methods.compactMap { m in m.curve.final?.fluency.map { (m.name, $0) } }
        if !fluent.isEmpty {
            lines += ["", "## Fluency (after all T edits, greedy answers to each edit's prompt and held-out paraphrases)", "",
                      "| method | prompts | gave the target | next \(FluencyCheck.continuationLength) tokens = base model's | repeat the target | repeated bigrams |",
                      "| --- | ---: | ---: | ---: | ---: | ---: |"]
            for (name, f) in fluent {
                lines.append("| \(name) | \(f.prompts) | \(f.answered) | " + String(format: "%.1f | %.1f | %.1f |",
                             f.continuationAgreement * 100, f.repeatedTarget * 100, f.repeatedBigramRate * 100))
            }
            lines += ["", "Rates in % of the answers that gave the target: the base model's greedy continuation of prompt + target "
                      + "compared token for token; a repeated target is the target's tokens again after it; repeated bigrams = "
                      + "share of the answer's token pairs that repeat an earlier pair."]
        }
        if methods.contains(where: { $0.curve.immediate != nil }) {
            lines += ["", "## After each edit (each edit scored right after it was made)", ""]
            lines += table(methods.map { ($0.name, $0.curve.immediate, nil) }, withTime: false)
        }
        let curves = methods.filter { $0.curve.points.count > 1 }
        if !curves.isEmpty {
            let withCrossTalk = curves.contains { $0.curve.points.contains { $0.crossTalk != nil } }
            lines += ["", "## Curve (tok / EM %, all edits so far scored at each checkpoint)", "",
                      "| edits | method | Reliability | Generalization | Locality |" + (withCrossTalk ? " Cross-talk |" : ""),
                      "| ---: | --- | ---: | ---: | ---: |" + (withCrossTalk ? " ---: |" : "")]
            for method in curves {
                for point in method.curve.points {
                    var cells = EditMetric.allCases.map { pair(point.score($0)) }
                    if withCrossTalk { cells.append(pair(point.crossTalk ?? .empty)) }
                    lines.append("| \(point.editsApplied) | \(method.name) | " + cells.joined(separator: " | ") + " |")
                }
            }
        }
        let notes = methods.compactMap { method in method.notes.map { "- \(method.name): \($0)" } }
        if !notes.isEmpty { lines += ["", "## Notes", ""] + notes }
        let configurations = methods.compactMap { method in
            method.configuration.map { c in "- \(method.name): " + c.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        }
        if !configurations.isEmpty { lines += ["", "## Configuration (every setting, as `--set` spells it)", ""] + configurations }
        return lines.joined(separator: "\n") + "\n"
    }

    /// "tok / EM" of a score, or "–" when nothing was measured.
    private func pair(_ score: MetricScore) -> String {
        score.count == 0 ? "–" : "\(percent(score, .tokenAccuracy)) / \(percent(score, .exactMatch))"
    }

    private func table(_ rows: [(String, MetricsSnapshot?, MethodResult?)], withTime: Bool) -> [String] {
        var header = "| method | edits | Reliability tok / EM | Generalization tok / EM | Locality tok / EM |"
        var rule = "| --- | ---: | ---: | ---: | ---: |"
        let withCrossTalk = rows.contains { $0.1?.crossTalk != nil }
        if withCrossTalk { header += " Cross-talk tok / EM |"; rule += " ---: |" }
        if withTime { header += " s/edit | total s | parameters | peak RSS |"; rule += " ---: | ---: | ---: | ---: |" }
        var lines = [header, rule]
        for (name, snapshot, result) in rows {
            var line = "| \(name) | \(snapshot.map { String($0.editsApplied) } ?? "–") |"
            for metric in EditMetric.allCases {
                let score = snapshot?.score(metric) ?? .empty
                line += " \(percent(score, .tokenAccuracy)) / \(percent(score, .exactMatch)) |"
            }
            if withCrossTalk { line += " \(pair(snapshot?.crossTalk ?? .empty)) |" }
            if withTime {
                line += " \(result?.secondsPerEdit.map { String(format: "%.2f", $0) } ?? "–") |"
                line += " \(result?.totalEditSeconds.map { String(format: "%.0f", $0) } ?? "–") |"
                line += " \(result?.parameterCount.map(String.init) ?? "–") |"
                line += " \(result?.peakResidentBytes.map { String(format: "%.2f GB", Double($0) / 1e9) } ?? "–") |"
            }
            lines.append(line)
        }
        return lines
    }

    /// The report as JSON with a fixed key order (rates as fractions in 0…1).
    public var json: String { jsonText.pretty + "\n" }

    public var jsonText: JSONText {
        .object([
            ("title", .string(title)),
            ("protocol", .object([
                ("editCount", .integer(evaluationProtocol.editCount)),
                ("editSet", .string(evaluationProtocol.editSet)),
                ("checkpoints", .array(evaluationProtocol.checkpoints.map(JSONText.integer))),
                ("afterEachEdit", .bool(evaluationProtocol.afterEachEdit)),
            ] + (evaluationProtocol.editSetDigest.map { [("editSetDigest", JSONText.string($0))] } ?? [])
              + (evaluationProtocol.trainingParaphrases.map { [("trainingParaphrases", JSONText.integer($0))] } ?? []) + [
                ("description", .string(evaluationProtocol.description)),
            ])),
            ("environment", .object(environment.map { ($0.0, .string($0.1)) })),
            ("methods", .array(methods.map(\.jsonText))),
        ])
    }
}

extension MethodResult {
    public var jsonText: JSONText {
        var fields: [(String, JSONText)] = [("name", .string(name))]
        fields.append(("final", curve.final.map(\.jsonText) ?? .null))
        fields.append(("afterEachEdit", curve.immediate.map(\.jsonText) ?? .null))
        fields.append(("curve", .array(curve.points.map(\.jsonText))))
        fields.append(("secondsPerEdit", secondsPerEdit.map(JSONText.number) ?? .null))
        if let totalEditSeconds { fields.append(("totalEditSeconds", .number(totalEditSeconds))) }
        if let parameterCount { fields.append(("parameterCount", .integer(parameterCount))) }
        if let peakResidentBytes { fields.append(("peakResidentBytes", .integer(peakResidentBytes))) }
        if let method { fields.append(("method", .string(method))) }
        if let settings {
            fields.append(("settings", .object(settings.sorted { $0.key < $1.key }.map { ($0.key, JSONText.string($0.value)) })))
        }
        if let configuration {
            fields.append(("configuration", .object(configuration.sorted { $0.key < $1.key }.map { ($0.key, JSONText.string($0.value)) })))
        }
        if let notes { fields.append(("notes", .string(notes))) }
        return .object(fields)
    }
}

extension MetricsSnapshot {
    public var jsonText: JSONText {
        var fields: [(String, JSONText)] = [("editsApplied", .integer(editsApplied))]
        for metric in EditMetric.allCases { fields.append((metric.rawValue.lowercased(), score(metric).jsonText)) }
        if let crossTalk { fields.append(("crossTalk", crossTalk.jsonText)) }
        if let fluency { fields.append(("fluency", fluency.jsonText)) }
        return .object(fields)
    }
}

extension FluencyScore {
    public var jsonText: JSONText {
        .object([("prompts", .integer(prompts)), ("answered", .integer(answered)),
                 ("continuationAgreement", .number(continuationAgreement)), ("repeatedTarget", .number(repeatedTarget)),
                 ("repeatedBigramRate", .number(repeatedBigramRate))])
    }
}

extension MetricScore {
    public var jsonText: JSONText {
        .object([("tokenAccuracy", .number(tokenAccuracy)), ("exactMatch", .number(exactMatch)), ("count", .integer(count))])
    }
}
