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
        lines += table(methods.map { ($0.name, $0.curve.final, $0.secondsPerEdit) }, withTime: true)
        if methods.contains(where: { $0.curve.immediate != nil }) {
            lines += ["", "## After each edit (each edit scored right after it was made)", ""]
            lines += table(methods.map { ($0.name, $0.curve.immediate, nil) }, withTime: false)
        }
        let curves = methods.filter { $0.curve.points.count > 1 }
        if !curves.isEmpty {
            lines += ["", "## Curve (exact match %, all edits so far)", "",
                      "| edits | method | Reliability | Generalization | Locality |",
                      "| ---: | --- | ---: | ---: | ---: |"]
            for method in curves {
                for point in method.curve.points {
                    lines.append("| \(point.editsApplied) | \(method.name) | \(percent(point.reliability, .exactMatch)) | "
                                 + "\(percent(point.generalization, .exactMatch)) | \(percent(point.locality, .exactMatch)) |")
                }
            }
        }
        let notes = methods.compactMap { method in method.notes.map { "- \(method.name): \($0)" } }
        if !notes.isEmpty { lines += ["", "## Notes", ""] + notes }
        return lines.joined(separator: "\n") + "\n"
    }

    private func table(_ rows: [(String, MetricsSnapshot?, Double?)], withTime: Bool) -> [String] {
        var header = "| method | edits | Reliability tok / EM | Generalization tok / EM | Locality tok / EM |"
        var rule = "| --- | ---: | ---: | ---: | ---: |"
        if withTime { header += " s/edit |"; rule += " ---: |" }
        var lines = [header, rule]
        for (name, snapshot, seconds) in rows {
            var line = "| \(name) | \(snapshot.map { String($0.editsApplied) } ?? "–") |"
            for metric in EditMetric.allCases {
                let score = snapshot?.score(metric) ?? .empty
                line += " \(percent(score, .tokenAccuracy)) / \(percent(score, .exactMatch)) |"
            }
            if withTime { line += " \(seconds.map { String(format: "%.2f", $0) } ?? "–") |" }
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
        if let notes { fields.append(("notes", .string(notes))) }
        return .object(fields)
    }
}

extension MetricsSnapshot {
    public var jsonText: JSONText {
        .object([("editsApplied", .integer(editsApplied))]
                + EditMetric.allCases.map { ($0.rawValue.lowercased(), score($0).jsonText) })
    }
}

extension MetricScore {
    public var jsonText: JSONText {
        .object([("tokenAccuracy", .number(tokenAccuracy)), ("exactMatch", .number(exactMatch)), ("count", .integer(count))])
    }
}
