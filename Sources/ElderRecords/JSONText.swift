/// A JSON value with ordered object keys, written byte for byte the same on every platform.
///
/// Edit files are diffed and committed, so their text must not depend on a dictionary's order or on
/// Foundation's number and escaping choices: this writer fixes the key order and the escapes.
public indirect enum JSONText: Equatable, Sendable {
    case string(String)
    case number(Double)
    case integer(Int)
    case bool(Bool)
    case null
    case array([JSONText])
    case object([(String, JSONText)])

    public static func == (lhs: JSONText, rhs: JSONText) -> Bool { lhs.rendered == rhs.rendered }

    /// The compact text: no spaces, no newlines (one JSON Lines record).
    public var rendered: String {
        var out = ""
        write(into: &out, indent: nil, level: 0)
        return out
    }

    /// The text indented by two spaces per level, for reports meant to be read.
    public var pretty: String {
        var out = ""
        write(into: &out, indent: "  ", level: 0)
        return out
    }

    private func write(into out: inout String, indent: String?, level: Int) {
        switch self {
        case .string(let s): JSONText.writeString(s, into: &out)
        case .number(let x): out += JSONText.format(x)
        case .integer(let i): out += String(i)
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                JSONText.separate(i, into: &out, indent: indent, level: level)
                item.write(into: &out, indent: indent, level: level + 1)
            }
            JSONText.close("]", empty: items.isEmpty, into: &out, indent: indent, level: level)
        case .object(let fields):
            out += "{"
            for (i, field) in fields.enumerated() {
                JSONText.separate(i, into: &out, indent: indent, level: level)
                JSONText.writeString(field.0, into: &out)
                out += indent == nil ? ":" : ": "
                field.1.write(into: &out, indent: indent, level: level + 1)
            }
            JSONText.close("}", empty: fields.isEmpty, into: &out, indent: indent, level: level)
        }
    }

    private static func separate(_ index: Int, into out: inout String, indent: String?, level: Int) {
        if index > 0 { out += "," }
        if let indent { out += "\n" + String(repeating: indent, count: level + 1) }
    }

    private static func close(_ bracket: String, empty: Bool, into out: inout String, indent: String?, level: Int) {
        if let indent, !empty { out += "\n" + String(repeating: indent, count: level) }
        out += bracket
    }

    /// Shortest round-tripping decimal; integral values print without a fraction; non-finite as null.
    static func format(_ x: Double) -> String {
        guard x.isFinite else { return "null" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
