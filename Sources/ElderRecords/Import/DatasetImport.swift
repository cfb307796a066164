import Foundation

/// Records converted from a public editing data set, and how many source records were left out.
public struct ImportResult: Equatable, Sendable {
    public var records: [EditRecord]
    /// Source records skipped because they hold no edit (e.g. ZsRE rows with an empty `alt`).
    public var skipped: Int
}

/// Reads the records of a data set file written either as one JSON array or as JSON Lines.
enum DatasetRecords {
    /// Calls `body` with each record's JSON value and its position (line number or 1-based index).
    static func forEach(path: String, _ body: (Any) throws(RecordProblem) -> Void) throws(EditFileError) {
        let reader = try JSONLinesReader(path: path)
        try forEach(reader, body)
    }

    static func forEach(text: String, source: String, _ body: (Any) throws(RecordProblem) -> Void) throws(EditFileError) {
        try forEach(JSONLinesReader(text: text, source: source), body)
    }

    private static func forEach(_ reader: JSONLinesReader, _ body: (Any) throws(RecordProblem) -> Void) throws(EditFileError) {
        // Peek the first non-blank line: "[" starts an array that may span the whole file.
        var pending: [(number: Int, text: String)] = []
        while let line = try reader.nextLine() {
            pending.append(line)
            if !line.text.allSatisfy(\.isWhitespace) { break }
        }
        guard let first = pending.last, !first.text.allSatisfy(\.isWhitespace) else { return }
        if first.text.drop(while: \.isWhitespace).first == "[" {
            var text = pending.map(\.text).joined(separator: "\n")
            while let line = try reader.nextLine() { text += "\n" + line.text }
            let value: Any
            do throws(RecordProblem) { value = try JSONValueParser.parse(text) } catch {
                throw EditFileError(.invalidJSON, source: reader.source, line: nil,
                                    problem: "the JSON array is not valid JSON", fix: "check the file's brackets and commas")
            }
            guard let array = value as? [Any] else {
                throw EditFileError(.invalidJSON, source: reader.source, line: nil,
                                    problem: "expected a JSON array of records", fix: "write [ {...}, {...} ] or one record per line")
            }
            for (index, item) in array.enumerated() {
                do throws(RecordProblem) { try body(item) } catch {
                    throw EditFileError(.invalidRecord, source: reader.source, line: nil,
                                        problem: "record \(index + 1) of the array: \(error.problem)", fix: error.fix)
                }
            }
            return
        }
        func handle(_ number: Int, _ text: String) throws(EditFileError) {
            if text.allSatisfy(\.isWhitespace) { return }
            do throws(RecordProblem) { try body(try JSONValueParser.parse(text)) } catch {
                let kind: EditFileError.Kind = error.problem == "not valid JSON" ? .invalidJSON : .invalidRecord
                throw EditFileError(kind, source: reader.source, line: number, problem: error.problem, fix: error.fix)
            }
        }
        for (number, text) in pending { try handle(number, text) }
        while let (number, text) = try reader.nextLine() { try handle(number, text) }
    }
}

/// Puts the leading space on an answer that continues a prompt (" Lyon"), unless it has one.
public func continuation(_ answer: String) -> String {
    guard let first = answer.unicodeScalars.first else { return answer }
    return CharacterSet.whitespacesAndNewlines.contains(first) ? answer : " " + answer
}
