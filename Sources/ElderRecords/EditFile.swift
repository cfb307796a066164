import Foundation

/// Streams edit records out of a JSON Lines edit file (Samples/edits/FORMAT.md), one line at a time.
///
/// Blank lines are skipped. The first malformed line stops the reader with an `EditFileError` that
/// names the file, the line number and the fix; a repeated `id` is an error too.
public final class EditFileReader: Sequence, IteratorProtocol {
    private let lines: JSONLinesReader
    private var seenIDs: [String: Int] = [:]
    /// The error that ended iteration through `for record in reader`, if any.
    public private(set) var error: EditFileError?

    public init(path: String) throws(EditFileError) { lines = try JSONLinesReader(path: path) }
    public init(text: String, source: String = "<input>") { lines = JSONLinesReader(text: text, source: source) }

    /// The next record, or nil at the end of the file.
    public func nextRecord() throws(EditFileError) -> EditRecord? {
        while let (number, text) = try lines.nextLine() {
            if text.allSatisfy(\.isWhitespace) { continue }
            let record: EditRecord
            do throws(RecordProblem) {
                record = try EditRecord(jsonValue: try JSONValueParser.parse(text))
            } catch {
                let kind: EditFileError.Kind = error.problem == "not valid JSON" ? .invalidJSON : .invalidRecord
                throw EditFileError(kind, source: lines.source, line: number, problem: error.problem, fix: error.fix)
            }
            if let id = record.id {
                if let first = seenIDs[id] {
                    throw EditFileError(.duplicateID, source: lines.source, line: number,
                                        problem: "id \"\(id)\" is already used on line \(first)",
                                        fix: "give every edit its own id")
                }
                seenIDs[id] = number
            }
            return record
        }
        return nil
    }

    /// Iteration for `for record in reader`: stops at the first error and keeps it in `error`.
    public func next() -> EditRecord? {
        guard error == nil else { return nil }
        do { return try nextRecord() } catch { self.error = error; return nil }
    }

    /// Every record of a file.
    public static func readAll(path: String) throws(EditFileError) -> [EditRecord] {
        try EditFileReader(path: path).readRemaining()
    }

    /// Every record of in-memory text.
    public static func readAll(text: String, source: String = "<input>") throws(EditFileError) -> [EditRecord] {
        try EditFileReader(text: text, source: source).readRemaining()
    }

    private func readRemaining() throws(EditFileError) -> [EditRecord] {
        var records: [EditRecord] = []
        while let record = try nextRecord() { records.append(record) }
        return records
    }
}

/// Writes edit records as JSON Lines: one compact object per line, keys in a fixed order, "\n" endings.
public enum EditFileWriter {
    /// The whole file's text; the same records always give the same bytes.
    public static func text(_ records: [EditRecord]) -> String {
        records.map { $0.jsonLine + "\n" }.joined()
    }

    public static func write(_ records: [EditRecord], to path: String) throws(EditFileError) {
        try writeText(text(records), to: path)
    }

    public static func writeText(_ text: String, to path: String) throws(EditFileError) {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw EditFileError(.unreadable, source: path, line: nil,
                                problem: "cannot write the file (\(error.localizedDescription))",
                                fix: "check that the folder exists and is writable")
        }
    }
}

/// Probe files: one probe per line ({"prompt", "expected", "datasetAnswer"}), e.g. Samples/probes/.
public enum ProbeFile {
    public static func read(path: String) throws(EditFileError) -> [Probe] {
        try read(JSONLinesReader(path: path))
    }

    public static func read(text: String, source: String = "<input>") throws(EditFileError) -> [Probe] {
        try read(JSONLinesReader(text: text, source: source))
    }

    private static func read(_ lines: JSONLinesReader) throws(EditFileError) -> [Probe] {
        var probes: [Probe] = []
        while let (number, text) = try lines.nextLine() {
            if text.allSatisfy(\.isWhitespace) { continue }
            do throws(RecordProblem) {
                probes.append(try Probe(jsonValue: try JSONValueParser.parse(text)))
            } catch {
                let kind: EditFileError.Kind = error.problem == "not valid JSON" ? .invalidJSON : .invalidRecord
                throw EditFileError(kind, source: lines.source, line: number, problem: error.problem, fix: error.fix)
            }
        }
        return probes
    }

    public static func text(_ probes: [Probe]) -> String {
        probes.map { $0.jsonLine + "\n" }.joined()
    }

    public static func write(_ probes: [Probe], to path: String) throws(EditFileError) {
        try EditFileWriter.writeText(text(probes), to: path)
    }
}
