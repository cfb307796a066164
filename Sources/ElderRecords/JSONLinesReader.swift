import Foundation

/// Reads a text file line by line in fixed-size chunks, so a million-edit file never sits in memory.
///
/// Lines end with "\n" (a trailing "\r" is dropped); each line is returned with its 1-based number.
public final class JSONLinesReader {
    public let source: String
    private let handle: FileHandle?
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false
    private var lineNumber = 0
    private let chunkSize: Int
    /// The longest line read (bytes): a record with every paraphrase fits in a few KB, and a line without a
    /// newline must not be buffered without end.
    public static let maxLineBytes = 1 << 20

    /// Opens `path` for streaming.
    public init(path: String, chunkSize: Int = 1 << 16) throws(EditFileError) {
        source = path
        self.chunkSize = max(1, chunkSize)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw EditFileError(.unreadable, source: path, line: nil, problem: "cannot open the file",
                                fix: "check the path and that the file is readable")
        }
        self.handle = handle
    }

    /// Reads in-memory text (tests, stdin already read); `source` names it in errors.
    public init(text: String, source: String = "<input>") {
        self.source = source
        handle = nil
        chunkSize = 1 << 16
        buffer = Array(text.utf8)
        finished = true
    }

    deinit { try? handle?.close() }

    /// The next line and its number, or nil at the end of the input.
    public func nextLine() throws(EditFileError) -> (number: Int, text: String)? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                let bytes = buffer[start..<newline]
                start = newline + 1
                return try emit(bytes)
            }
            if finished {
                guard start < buffer.count else { return nil }
                let bytes = buffer[start...]
                start = buffer.count
                return try emit(bytes)
            }
            try refill()
        }
    }

    private func refill() throws(EditFileError) {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        guard buffer.count <= Self.maxLineBytes else {
            throw EditFileError(.invalidJSON, source: source, line: lineNumber + 1,
                                problem: "the line is longer than \(Self.maxLineBytes >> 20) MB",
                                fix: "write one record per line (is this a JSONL file?)")
        }
        let data: Data?
        do {
            data = try handle?.read(upToCount: chunkSize)
        } catch {
            throw EditFileError(.unreadable, source: source, line: lineNumber + 1,
                                problem: "read failed (\(error.localizedDescription))",
                                fix: "check that the file is readable")
        }
        if let data, !data.isEmpty { buffer.append(contentsOf: data) } else { finished = true }
    }

    private func emit(_ bytes: ArraySlice<UInt8>) throws(EditFileError) -> (number: Int, text: String) {
        lineNumber += 1
        guard bytes.count <= Self.maxLineBytes else {
            throw EditFileError(.invalidJSON, source: source, line: lineNumber,
                                problem: "the line is longer than \(Self.maxLineBytes >> 20) MB",
                                fix: "write one record per line (is this a JSONL file?)")
        }
        var slice = bytes
        if slice.last == 0x0D { slice = slice.dropLast() }
        if lineNumber == 1, slice.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw EditFileError(.invalidJSON, source: source, line: 1, problem: "the file starts with a byte-order mark (U+FEFF)",
                                fix: "save it as UTF-8 without a BOM")
        }
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw EditFileError(.invalidJSON, source: source, line: lineNumber,
                                problem: "the line is not valid UTF-8",
                                fix: "save the file as UTF-8")
        }
        return (lineNumber, text)
    }
}

/// Parses one line or value of JSON into Foundation objects, with a one-line error message.
enum JSONValueParser {
    static func parse(_ text: String) throws(RecordProblem) -> Any {
        do {
            let value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            if let key = JSONDuplicateKeys.first(in: text) {
                throw RecordProblem(problem: "the key \"\(key.prefix(40))\" appears twice in one object (JSON readers keep either one)",
                                    fix: "give each key once")
            }
            return value
        } catch let problem as RecordProblem {
            throw problem
        } catch {
            throw RecordProblem(problem: "not valid JSON",
                                fix: "write one JSON object per line, e.g. {\"prompt\": \"The CEO of Acme is\", \"target\": \" Jane Doe\"}")
        }
    }
}
