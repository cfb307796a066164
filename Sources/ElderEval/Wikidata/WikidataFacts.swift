import ElderRecords
import Foundation

/// One fact of the qa_wikidata data set: the prompt, its parsed subject and relation, and its answers.
public struct WikidataFact: Equatable, Sendable {
    /// Position in the data set's `examples` array (stable ids: "wikidata-<index>").
    public var index: Int
    /// The data set's prompt, e.g. "The country of citizenship of Gustav Vigeland is".
    public var prompt: String
    /// Parsed subject ("Gustav Vigeland") and relation ("country of citizenship of"), when recognized.
    public var subject: String?
    public var relation: String?
    /// The true answers without leading space (the data set gives one string or a list).
    public var answers: [String]

    /// A prompt that the data set wrote cleanly (no "[MASK]") and whose subject and relation are known.
    public var isParsed: Bool { subject != nil && relation != nil }
}

/// Loads qa_wikidata (BIG-bench's JSON: `examples[i].input` and `examples[i].target`) and parses each
/// prompt into subject and relation.
public enum WikidataFacts {
    public static func load(path: String) throws(EditFileError) -> [WikidataFact] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw EditFileError(.unreadable, source: path, line: nil, problem: "cannot read the data set",
                                fix: "pass the path of qa_wikidata.dev.json (e.g. Samples/data/qa_wikidata.dev.json)")
        }
        return try parse(data: data, source: path)
    }

    public static func parse(data: Data, source: String = "<input>") throws(EditFileError) -> [WikidataFact] {
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw EditFileError(.invalidJSON, source: source, line: nil, problem: "the data set is not valid JSON",
                                fix: "pass the BIG-bench qa_wikidata JSON file")
        }
        guard let object = root as? [String: Any], let examples = object["examples"] as? [Any] else {
            throw EditFileError(.invalidRecord, source: source, line: nil, problem: "no \"examples\" array",
                                fix: "pass a BIG-bench task file: {\"examples\": [{\"input\": ..., \"target\": ...}]}")
        }
        var facts: [WikidataFact] = []
        facts.reserveCapacity(examples.count)
        for (index, item) in examples.enumerated() {
            guard let example = item as? [String: Any], let input = example["input"] as? String else {
                throw EditFileError(.invalidRecord, source: source, line: nil,
                                    problem: "example \(index) has no string \"input\"",
                                    fix: "each example needs \"input\" (the prompt) and \"target\"")
            }
            let answers: [String]
            if let single = example["target"] as? String { answers = [single] }
            else if let list = example["target"] as? [Any] { answers = list.compactMap { $0 as? String } }
            else { answers = [] }
            let parsed = WikidataRelationParser.parse(input)
            facts.append(WikidataFact(index: index, prompt: input, subject: parsed?.subject,
                                      relation: parsed?.relation, answers: answers.filter { !$0.isEmpty }))
        }
        return facts
    }
}

/// Splits a qa_wikidata prompt into subject and relation.
///
/// Two shapes: "The <relation> of|by|in <subject> is" and "<subject> <relation phrase>" (e.g.
/// "Bavaria shares a border with"). Relations that themselves contain "of", "by" or "in" are listed
/// (longest first) so that "The country of citizenship of X is" is not read as "country of".
public enum WikidataRelationParser {
    /// Relations of the first shape whose own words contain a connector.
    static let compoundRelations = [
        "country of citizenship of", "color of the flag of", "basic form of government of",
        "place of birth of", "place of publication of", "month of the year of", "office held by head of",
        "country for sport played by", "languages spoken, written or signed by",
    ]
    /// Relations of the second shape, longest first.
    static let suffixRelations = [
        "is located in or next to body of water", "is territory claimed by", "shares a border with",
        "is located in", "is capital of", "is indigenous to", "is facet of", "is followed by",
        "is studied by", "is used by", "writing languages", "programming language", "convicted of",
        "named after", "given name", "endemic to", "follows", "replaced by", "influenced by",
        "practiced by", "owned by", "calculated from",
    ]

    public static func parse(_ prompt: String) -> (subject: String, relation: String)? {
        guard !prompt.contains("[MASK]") else { return nil }
        if prompt.hasPrefix("The "), prompt.hasSuffix(" is") {
            let body = prompt.dropFirst(4).dropLast(3)
            for relation in compoundRelations where body.hasPrefix(relation + " ") {
                return nonEmpty(String(body.dropFirst(relation.count + 1)), relation)
            }
            // The first connector word ends the relation: "The sport played by X is", "The genre of X is".
            let words = body.split(separator: " ", omittingEmptySubsequences: false)
            for i in 1..<max(1, words.count - 1) where ["of", "by", "in"].contains(words[i]) {
                let relation = words[...i].joined(separator: " ")
                let subject = words[(i + 1)...].joined(separator: " ")
                return nonEmpty(subject, relation)
            }
        }
        for relation in suffixRelations where prompt.hasSuffix(" " + relation) {
            return nonEmpty(String(prompt.dropLast(relation.count + 1)), relation)
        }
        return nil
    }

    private static func nonEmpty(_ subject: String, _ relation: String) -> (subject: String, relation: String)? {
        let trimmed = subject.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : (trimmed, relation)
    }
}
