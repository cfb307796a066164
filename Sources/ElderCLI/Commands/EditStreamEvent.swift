import ElderCommandLine
import Foundation

/// The lines `elder edit --file … --json-lines` prints, one compact JSON object each, told apart by
/// `type`: `committed` and `skipped` per record as the stream reaches it, then exactly one of `done`,
/// `error` (the stream stopped at a record it could not apply; the exit is non-zero) or `interrupted`
/// (Ctrl-C or SIGTERM; exit 130 or 143). `record` is the record's number in the file (1 for the first; blank lines do not count).
enum EditStreamEvent {
    /// An edit trained and committed: the fields of `elder edit --json`.
    struct Committed: Encodable {
        var record: Int
        var edit: ElderCommand.EditLine

        func encode(to encoder: Encoder) throws {
            var keyed = encoder.container(keyedBy: Key.self)
            try keyed.encode("committed", forKey: .type)
            try keyed.encode(record, forKey: .record)
            try edit.encode(to: encoder)
        }
        private enum Key: String, CodingKey { case type, record }
    }

    /// A record left out because its edit is already live on the branch (`live`), or its prompt has that
    /// target live or superseded there by a later edit (a rerun resuming an earlier one).
    struct Skipped: Encodable {
        var type = "skipped"
        var record: Int
        var editID: String
        var live: Bool
    }

    /// The end of a stream, `done` or `error` (then `error` says why and what to fix): the summary of
    /// `--json` without the committed list (already printed, an event each).
    struct Summary: Encodable {
        var type: String
        var file: String
        var branch: String
        var total: Int
        var committed: Int
        var holding: Int
        var skipped: Int
        var notImported: Int
        var seconds: Double
        var error: String?

        init(_ report: EditStream.Report) {
            type = report.error == nil ? "done" : "error"
            file = report.file
            branch = report.branch
            total = report.total
            committed = report.committed.count
            holding = report.committed.filter(\.holds).count
            skipped = report.skipped
            notImported = report.notImported
            seconds = report.seconds
            error = report.error
        }
    }

    /// Ctrl-C or SIGTERM: the edit in progress was not committed.
    struct Interrupted: Encodable {
        var type = "interrupted"
        var committed: Int
        var skipped: Int
        var signal: Int32
    }

    /// `event` as one line of compact JSON with sorted keys.
    static func encode<Event: Encodable>(_ event: Event) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Versioned(event)) + Data("\n".utf8)
    }
}
