import Foundation

/// Converts CounterFact records (ROME/MEMIT's `counterfact.json`, also used by EasyEdit).
///
/// `requested_rewrite` gives the prompt with "{}" for the subject, the subject, `target_new.str` (the
/// edit) and `target_true.str` (the fact it replaces). `paraphrase_prompts` become held-out paraphrases;
/// each `neighborhood_prompts` item (other subjects with the same true object) becomes a locality probe
/// whose data set answer is `target_true`. Other keys (attribute and generation prompts) are ignored.
public enum CounterFactImporter {
    public static func read(path: String) throws(EditFileError) -> ImportResult {
        var records: [EditRecord] = []
        try DatasetRecords.forEach(path: path) { (value: Any) throws(RecordProblem) in
            records.append(try record(value, position: records.count + 1))
        }
        return ImportResult(records: records, skipped: 0)
    }

    public static func read(text: String, source: String = "<input>") throws(EditFileError) -> ImportResult {
        var records: [EditRecord] = []
        try DatasetRecords.forEach(text: text, source: source) { (value: Any) throws(RecordProblem) in
            records.append(try record(value, position: records.count + 1))
        }
        return ImportResult(records: records, skipped: 0)
    }

    static func record(_ value: Any, position: Int) throws(RecordProblem) -> EditRecord {
        let fields = try RecordFields(value, what: "a CounterFact record",
                                      example: "{\"requested_rewrite\": {\"prompt\": \"{} is a citizen of\", ...}, ...}")
        guard let rewrite = try fields.optionalObject(
            "requested_rewrite", example: "{\"prompt\": \"The mother tongue of {} is\", \"subject\": \"Danielle Darrieux\", \"target_new\": {\"str\": \"English\"}, \"target_true\": {\"str\": \"French\"}}")
        else {
            throw RecordProblem(problem: "missing \"requested_rewrite\" in a CounterFact record",
                                fix: "add \"requested_rewrite\": {\"prompt\", \"subject\", \"target_new\", \"target_true\"}")
        }
        let template = try rewrite.requiredString("prompt", example: "\"The mother tongue of {} is\"")
        guard template.contains("{}") else {
            throw RecordProblem(problem: "requested_rewrite.prompt \"\(template)\" has no \"{}\" for the subject",
                                fix: "write the prompt with {} where the subject goes")
        }
        let subject = try rewrite.requiredString("subject", example: "\"Danielle Darrieux\"")
        let new = try answer(rewrite, "target_new")
        let old = try answer(rewrite, "target_true")
        let neighbours = try fields.stringList("neighborhood_prompts")
        let id = try fields.optionalStringOrInteger("case_id") ?? String(position)
        return EditRecord(
            id: "counterfact-\(id)", prompt: template.replacingOccurrences(of: "{}", with: subject),
            target: continuation(new), heldout: try fields.stringList("paraphrase_prompts"),
            probes: neighbours.map { Probe(prompt: $0, expected: nil, datasetAnswer: continuation(old)) },
            message: "CounterFact: \(subject): \(old) -> \(new)", subject: subject,
            relation: try rewrite.optionalString("relation_id"), trueTarget: continuation(old))
    }

    private static func answer(_ rewrite: RecordFields, _ key: String) throws(RecordProblem) -> String {
        guard let object = try rewrite.optionalObject(key, example: "{\"str\": \"English\"}") else {
            throw RecordProblem(problem: "missing requested_rewrite.\(key)", fix: "add \"\(key)\": {\"str\": \"...\"}")
        }
        return try object.requiredString("str", example: "\"English\"")
    }
}
