import ArgumentParser
import Foundation

/// `--json` and `--quiet`, shared by every command that prints.
public struct OutputOptions: ParsableArguments {
    public init() {}

    @Flag(name: .long, help: "Print machine-readable JSON on standard output.")
    public var json = false

    @Flag(name: [.short, .long], help: "Print nothing but errors (and what --json asks for).")
    public var quiet = false

    public var console: Console { Console(json: json, quiet: quiet) }
}

/// Where a command's output goes: human text (coloured on a terminal unless NO_COLOR is set), JSON with
/// `--json`, nothing with `--quiet`; progress on standard error, only on a terminal.
public struct Console {
    public var json = false
    public var quiet = false
    public var colour: Bool

    public init(json: Bool = false, quiet: Bool = false, stream: Int32 = STDOUT_FILENO) {
        self.json = json
        self.quiet = quiet
        let environment = ProcessInfo.processInfo.environment
        self.colour = isatty(stream) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }

    public static var standardError: Console { Console(stream: STDERR_FILENO) }

    /// Whether this process printed a JSON document on standard output (an error then adds none).
    nonisolated(unsafe) public static var printedDocument = false

    /// Prints `value` as JSON with `--json`, else the human text (unless `--quiet`). A JSON object gets
    /// `schemaVersion` (`JSONSchemaVersion`; its schema is docs/schemas/COMMAND.schema.json).
    public func emit<Value: Encodable>(_ value: Value, human: () -> String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(Versioned(value)) + Data("\n".utf8))
            Self.printedDocument = true
        } else if !quiet {
            let text = human()
            FileHandle.standardOutput.write(Data((text.hasSuffix("\n") || text.isEmpty ? text : text + "\n").utf8))
        }
    }

    /// Human text only (nothing with `--json` or `--quiet`).
    public func say(_ text: String) {
        guard !json, !quiet else { return }
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// A transient progress line on standard error (a terminal only; overwritten by the next one).
    public func progress(_ text: String) {
        guard !quiet, isatty(STDERR_FILENO) == 1 else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }

    /// Ends a progress line.
    public func progressDone() {
        guard !quiet, isatty(STDERR_FILENO) == 1 else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    // Styles: ANSI escapes only when colour is on.
    public func bold(_ s: String) -> String { style(s, "1") }
    public func dim(_ s: String) -> String { style(s, "2") }
    public func red(_ s: String) -> String { style(s, "31") }
    public func green(_ s: String) -> String { style(s, "32") }
    public func yellow(_ s: String) -> String { style(s, "33") }
    public func cyan(_ s: String) -> String { style(s, "36") }
    private func style(_ s: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
}

/// The version of the `--json` documents' shapes: raised when a field is removed or changes meaning (adding
/// a field does not raise it). Each command's schema is docs/schemas/COMMAND.schema.json.
public enum JSONSchemaVersion {
    public static let current = 1
}

/// A document with `schemaVersion` beside the value's own keys. Every command prints an object; an array
/// (which has no place for the key) would be printed as it is rather than fail.
public struct Versioned<Value: Encodable>: Encodable {
    let value: Value
    public init(_ value: Value) { self.value = value }

    enum Key: String, CodingKey { case schemaVersion }

    public func encode(to encoder: Encoder) throws {
        try value.encode(to: encoder)
        guard !(value is [Any]) else { return }
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(JSONSchemaVersion.current, forKey: .schemaVersion)
    }
}
