import ElderEditing
import ElderStore
import Foundation

/// Any blob of a knowledge repo as text a person can diff (`elder diff-driver`, git's textconv): a tensor
/// pack as one line per tensor (shape, values that are not zero, largest and RMS value), an edit record as
/// its prompt and target then its fields, a codebook file as its header and JSON, other JSON pretty-printed
/// with sorted keys, anything else as its size. Nothing read can crash it: packs are read with
/// their own bounds, JSON only up to the repo's JSON limit (`RepoFormat.maxJSONBytes`: a parsed JSON tree
/// takes many times its bytes), and a blob that does not parse as what it looks like is shown as bytes.
public enum BlobText {
    /// The text of `blob`; tensor values are shown in units of `grid` (the repo's, when known) as floats.
    public static func render(_ blob: [UInt8], grid: Grid = StoreOptions().grid) -> String {
        if TensorPackSummary.looksLikePack(blob), let summary = try? TensorPackSummary(pack: blob) {
            return pack(summary, grid: grid)
        }
        if blob.starts(with: Array("ELDE".utf8)), let text = codebookEdit(blob) { return text }
        if blob.starts(with: Array("ELDV".utf8)), blob.count >= 12 {
            let width = u32(blob, at: 8)
            return "codebook vectors: width \(width), \((blob.count - 12) / 4) float32 values\n"
        }
        if let first = blob.first(where: { ![9, 10, 13, 32].contains($0) }), first == UInt8(ascii: "{"),
           let text = json(blob) {
            return text
        }
        return "binary, \(blob.count) bytes\n"
    }

    static func pack(_ summary: TensorPackSummary, grid: Grid) -> String {
        var lines = ["tensor pack: \(summary.tensors.count) tensor\(summary.tensors.count == 1 ? "" : "s")"]
        for t in summary.tensors {
            let count = t.shape.reduce(1, *)
            lines.append("\(t.name) \(t.shape.map(String.init).joined(separator: "x")): \(t.nonzero)/\(count) nonzero, "
                + "max |x| \(format(Double(t.maxUnits) * Double(grid.step))), rms \(format(t.rmsUnits * Double(grid.step))), "
                + "sum \(t.sumUnits) units")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// An edit record (`edits/…/<id>.json`) gets a headline; other JSON is shown as it is: keys sorted, an
    /// object's members one per line, an array of plain values on one line (a diff then shows which member
    /// changed, not a line per number).
    static func json(_ blob: [UInt8]) -> String? {
        guard blob.count <= RepoFormat.maxJSONBytes,
              let object = try? JSONSerialization.jsonObject(with: Data(blob), options: [.fragmentsAllowed]) else { return nil }
        var text = ""
        write(object, indent: "", into: &text)
        text += "\n"
        if let record = try? JSONDecoder().decode(EditRecordBody.self, from: Data(blob)) {
            text = "edit \(record.id): \(quoted(record.prompt)) → \(quoted(record.target))\n" + text
        }
        return text
    }

    static func write(_ value: Any, indent: String, into out: inout String) {
        switch value {
        case let object as [String: Any]:
            guard !object.isEmpty else { out += "{}"; return }
            out += "{\n"
            for (i, key) in object.keys.sorted().enumerated() {
                out += indent + "  " + quoted(key) + ": "
                write(object[key] ?? NSNull(), indent: indent + "  ", into: &out)
                out += i == object.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        case let array as [Any]:
            if array.allSatisfy({ !($0 is [String: Any]) && !($0 is [Any]) }) {
                out += "[" + array.map { scalar($0) }.joined(separator: ", ") + "]"
                return
            }
            out += "[\n"
            for (i, item) in array.enumerated() {
                out += indent + "  "
                write(item, indent: indent + "  ", into: &out)
                out += i == array.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        default:
            out += scalar(value)
        }
    }

    static func scalar(_ value: Any) -> String {
        switch value {
        case let s as String: return quoted(s)
        case is NSNull: return "null"
        // Foundation reads true/false as NSNumbers of type "c" (char); JSON numbers never are.
        case let n as NSNumber: return String(cString: n.objCType) == "c" ? (n.boolValue ? "true" : "false") : n.stringValue
        case let b as Bool: return b ? "true" : "false"
        default: return "\(value)"
        }
    }

    /// A codebook file of one edit (`MemoryCodec`'s per-edit layout): "ELDE", u32 version, key count,
    /// width, JSON length, the JSON, then the keys.
    static func codebookEdit(_ blob: [UInt8]) -> String? {
        guard blob.count >= 20 else { return nil }
        let keys = u32(blob, at: 8), width = u32(blob, at: 12), length = u32(blob, at: 16)
        guard length <= blob.count - 20, let entry = json(Array(blob[20..<(20 + length)])) else { return nil }
        return "codebook entry: \(keys) key\(keys == 1 ? "" : "s") of width \(width)\n" + entry
    }

    static func u32(_ b: [UInt8], at i: Int) -> Int {
        Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24
    }

    static func quoted(_ s: String) -> String {
        String(decoding: (try? JSONEncoder().encode(s)) ?? Data(), as: UTF8.self)
    }

    static func format(_ x: Double) -> String { String(format: "%.6g", x) }
}
