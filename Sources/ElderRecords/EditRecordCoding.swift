import Foundation

/// The JSON form of edit records and probes: the keys of Samples/edits/FORMAT.md, in a fixed order.
extension EditRecord {
    /// Every key an edit record may have, in the order the writer uses.
    public static let keys = ["id", "prompt", "target", "paraphrases", "heldout", "probes", "message",
                              "subject", "relation", "trueTarget"]

    static let example = "{\"prompt\": \"The CEO of Acme is\", \"target\": \" Jane Doe\"}"

    /// Decodes and checks one record from a JSON value (as JSONSerialization returns it).
    init(jsonValue: Any) throws(RecordProblem) {
        let fields = try RecordFields(jsonValue, what: "an edit record", example: EditRecord.example)
        try fields.rejectUnknownKeys(allowed: EditRecord.keys)
        let prompt = try fields.requiredString("prompt", example: "\"The CEO of Acme is\"")
        let target = try fields.requiredString("target", example: "\" Jane Doe\"")
        try EditRecord.checkLeadingSpace(target, key: "target")
        let trueTarget = try fields.optionalString("trueTarget")
        if let trueTarget, !trueTarget.isEmpty { try EditRecord.checkLeadingSpace(trueTarget, key: "trueTarget") }
        var probes: [Probe] = []
        if let value = fields.object["probes"], !(value is NSNull) {
            guard let list = value as? [Any] else {
                throw RecordProblem(problem: "\"probes\" must be a list",
                                    fix: "write \"probes\": [{\"prompt\": \"The capital of France is\"}]")
            }
            for (index, item) in list.enumerated() {
                do throws(RecordProblem) {
                    probes.append(try Probe(jsonValue: item))
                } catch {
                    throw RecordProblem(problem: "probe \(index): \(error.problem)", fix: error.fix)
                }
            }
        }
        self.init(id: try fields.optionalStringOrInteger("id"), prompt: prompt, target: target,
                  paraphrases: try fields.stringList("paraphrases"), heldout: try fields.stringList("heldout"),
                  probes: probes, message: try fields.optionalString("message"),
                  subject: try fields.optionalString("subject"), relation: try fields.optionalString("relation"),
                  trueTarget: trueTarget)
    }

    /// An answer continues the prompt's text, so it starts with a space (or a newline).
    static func checkLeadingSpace(_ answer: String, key: String) throws(RecordProblem) {
        guard let first = answer.unicodeScalars.first, CharacterSet.whitespacesAndNewlines.contains(first) else {
            throw RecordProblem(problem: "\"\(key)\" \"\(answer)\" does not start with a space",
                                fix: "write \"\(key)\": \" \(answer)\" (the answer continues the prompt)")
        }
    }

    /// The record as ordered JSON; empty lists and absent optionals are left out.
    public var jsonText: JSONText {
        var fields: [(String, JSONText)] = []
        if let id { fields.append(("id", .string(id))) }
        fields.append(("prompt", .string(prompt)))
        fields.append(("target", .string(target)))
        if !paraphrases.isEmpty { fields.append(("paraphrases", .array(paraphrases.map(JSONText.string)))) }
        if !heldout.isEmpty { fields.append(("heldout", .array(heldout.map(JSONText.string)))) }
        if !probes.isEmpty { fields.append(("probes", .array(probes.map(\.jsonText)))) }
        if let message { fields.append(("message", .string(message))) }
        if let subject { fields.append(("subject", .string(subject))) }
        if let relation { fields.append(("relation", .string(relation))) }
        if let trueTarget { fields.append(("trueTarget", .string(trueTarget))) }
        return .object(fields)
    }

    /// One JSON Lines record, without the newline.
    public var jsonLine: String { jsonText.rendered }
}

extension Probe {
    public static let keys = ["prompt", "expected", "datasetAnswer"]

    /// Decodes a probe written either as an object or, for hand-written files, as a bare prompt string.
    init(jsonValue: Any) throws(RecordProblem) {
        if let prompt = jsonValue as? String {
            guard !prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw RecordProblem(problem: "empty probe prompt", fix: "write a prompt or remove the probe")
            }
            self.init(prompt: prompt)
            return
        }
        let fields = try RecordFields(jsonValue, what: "a probe",
                                      example: "{\"prompt\": \"The capital of France is\", \"expected\": \" Paris\"}")
        try fields.rejectUnknownKeys(allowed: Probe.keys)
        let prompt = try fields.requiredString("prompt", example: "\"The capital of France is\"")
        let expected = try fields.optionalString("expected")
        let datasetAnswer = try fields.optionalString("datasetAnswer")
        for (key, value) in [("expected", expected), ("datasetAnswer", datasetAnswer)] {
            if let value, !value.isEmpty { try EditRecord.checkLeadingSpace(value, key: key) }
        }
        self.init(prompt: prompt, expected: expected, datasetAnswer: datasetAnswer)
    }

    /// The probe as ordered JSON. An empty `expected` is written as "" (to be filled by the benchmark).
    public var jsonText: JSONText {
        var fields: [(String, JSONText)] = [("prompt", .string(prompt))]
        if let expected { fields.append(("expected", .string(expected))) }
        if let datasetAnswer { fields.append(("datasetAnswer", .string(datasetAnswer))) }
        return .object(fields)
    }

    public var jsonLine: String { jsonText.rendered }
}
