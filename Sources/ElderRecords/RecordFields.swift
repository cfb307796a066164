import Foundation

/// Typed access to the fields of one decoded JSON object, with messages that say what to fix.
struct RecordFields {
    let object: [String: Any]
    let what: String

    init(_ value: Any, what: String, example: String) throws(RecordProblem) {
        guard let object = value as? [String: Any] else {
            throw RecordProblem(problem: "expected a JSON object for \(what)", fix: "write \(example)")
        }
        self.object = object
        self.what = what
    }

    /// Fails on a key that is not in `allowed`, suggesting the nearest allowed key.
    func rejectUnknownKeys(allowed: [String]) throws(RecordProblem) {
        for key in object.keys.sorted() where !allowed.contains(key) {
            let near = allowed.min { editDistance($0, key) < editDistance($1, key) }
            let hint = near.flatMap { editDistance($0, key) <= 3 ? "did you mean \"\($0)\"? " : nil } ?? ""
            throw RecordProblem(problem: "unknown key \"\(key)\" in \(what)",
                                fix: "\(hint)allowed keys: \(allowed.joined(separator: ", "))")
        }
    }

    func requiredString(_ key: String, example: String) throws(RecordProblem) -> String {
        guard let value = object[key], !(value is NSNull) else {
            throw RecordProblem(problem: "missing \"\(key)\" in \(what)", fix: "add \"\(key)\": \(example)")
        }
        guard let string = value as? String else {
            throw RecordProblem(problem: "\"\(key)\" must be a string", fix: "write \"\(key)\": \(example)")
        }
        guard !string.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw RecordProblem(problem: "\"\(key)\" is empty", fix: "write \"\(key)\": \(example)")
        }
        return string
    }

    func optionalString(_ key: String) throws(RecordProblem) -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let string = value as? String else {
            throw RecordProblem(problem: "\"\(key)\" must be a string", fix: "quote the value of \"\(key)\"")
        }
        return string
    }

    /// Accepts an integer id too (data sets number their cases) and turns it into text.
    func optionalStringOrInteger(_ key: String) throws(RecordProblem) -> String? {
        if let number = object[key] as? NSNumber, !(object[key] is String) { return number.stringValue }
        return try optionalString(key)
    }

    func stringList(_ key: String) throws(RecordProblem) -> [String] {
        guard let value = object[key], !(value is NSNull) else { return [] }
        if let single = value as? String { return [single] }
        guard let list = value as? [Any] else {
            throw RecordProblem(problem: "\"\(key)\" must be a list of strings",
                                fix: "write \"\(key)\": [\"...\", \"...\"]")
        }
        var strings: [String] = []
        for (index, item) in list.enumerated() {
            guard let string = item as? String, !string.isEmpty else {
                throw RecordProblem(problem: "item \(index) of \"\(key)\" is not a non-empty string",
                                    fix: "write \"\(key)\" as a list of non-empty strings")
            }
            strings.append(string)
        }
        return strings
    }

    func optionalObject(_ key: String, example: String) throws(RecordProblem) -> RecordFields? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        return try RecordFields(value, what: "\"\(key)\"", example: example)
    }
}

/// Levenshtein distance over characters; used only to suggest a key name.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
