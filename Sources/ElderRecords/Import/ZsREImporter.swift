import Foundation

/// Converts ZsRE question-answering edits as EasyEdit and ROME ship them (`zsre_mem_*.json`).
///
/// A record `{"subject", "src", "alt", "answers", "rephrase", "loc", "loc_ans"}` becomes an edit:
/// prompt = `src`, target = " " + `alt`, held-out paraphrase = `rephrase` (ZsRE's generalization
/// prompt), one locality probe = `loc` without its "nq question: " prefix and with a "?" (as EasyEdit
/// does), with `loc_ans` as its data set answer; trueTarget = " " + `answers[0]`. Records with an empty
/// `alt` hold no edit and are skipped.
public enum ZsREImporter {
    public static func read(path: String) throws(EditFileError) -> ImportResult {
        var state = State()
        try DatasetRecords.forEach(path: path) { (value: Any) throws(RecordProblem) in try state.add(value) }
        return state.result
    }

    public static func read(text: String, source: String = "<input>") throws(EditFileError) -> ImportResult {
        var state = State()
        try DatasetRecords.forEach(text: text, source: source) { (value: Any) throws(RecordProblem) in try state.add(value) }
        return state.result
    }

    private struct State {
        var records: [EditRecord] = []
        var skipped = 0
        var count = 0
        var result: ImportResult { ImportResult(records: records, skipped: skipped) }

        mutating func add(_ value: Any) throws(RecordProblem) {
            count += 1
            let fields = try RecordFields(value, what: "a ZsRE record",
                                          example: "{\"src\": \"What university did Watts Humphrey attend?\", \"alt\": \"University of Michigan\", ...}")
            let src = try fields.requiredString("src", example: "\"What university did Watts Humphrey attend?\"")
            guard let alt = try fields.optionalString("alt"), !alt.trimmingCharacters(in: .whitespaces).isEmpty else {
                skipped += 1
                return
            }
            var probes: [Probe] = []
            if let loc = try fields.optionalString("loc"), !loc.isEmpty {
                var prompt = loc.hasPrefix("nq question: ") ? String(loc.dropFirst("nq question: ".count)) : loc
                if !prompt.hasSuffix("?") { prompt += "?" }
                let answer = try fields.optionalString("loc_ans").map(continuation)
                probes.append(Probe(prompt: prompt, expected: nil, datasetAnswer: answer))
            }
            let answers = try fields.stringList("answers")
            let subject = try fields.optionalString("subject")
            let id = try fields.optionalStringOrInteger("case_id") ?? String(count)
            records.append(EditRecord(
                id: "zsre-\(id)", prompt: src, target: continuation(alt),
                heldout: try fields.stringList("rephrase"), probes: probes,
                message: "ZsRE: \(src) \(alt)", subject: subject, relation: nil,
                trueTarget: answers.first.map(continuation)))
        }
    }
}
