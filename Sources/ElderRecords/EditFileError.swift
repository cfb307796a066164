/// Why an edit file, probe file or imported data set could not be read: where, what, and how to fix it.
///
/// `description` is one line, `path:line: problem — fix`, so a user can jump to the line and mend it.
public struct EditFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The file could not be opened or read.
        case unreadable
        /// The bytes of a line are not UTF-8 or not one JSON value.
        case invalidJSON
        /// A JSON value that is not a valid record (missing, mistyped, unknown or empty field).
        case invalidRecord
        /// Two records share an id.
        case duplicateID
    }

    public var kind: Kind
    /// The file path, or a name such as "<input>" for in-memory text.
    public var source: String
    /// 1-based line number (JSON Lines) or record number (a JSON array); nil for whole-file problems.
    public var line: Int?
    /// What is wrong.
    public var problem: String
    /// What to do about it.
    public var fix: String

    public init(_ kind: Kind, source: String, line: Int?, problem: String, fix: String) {
        self.kind = kind
        self.source = source
        self.line = line
        self.problem = problem
        self.fix = fix
    }

    public var description: String {
        let place = line.map { "\(source):\($0)" } ?? source
        return "\(place): \(problem) — \(fix)"
    }
}

/// A problem with one record's fields, before the reader knows the file and line.
struct RecordProblem: Error {
    var problem: String
    var fix: String
}
