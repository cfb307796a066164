/// Finds a key repeated within one JSON object: `JSONSerialization` keeps one of the two values without a
/// word, so `{"target": " A", "target": " B"}` would be read as one of them. A scan of the text (valid JSON,
/// already parsed once), linear in its length.
enum JSONDuplicateKeys {
    static func first(in text: String) -> String? {
        var keys: [Set<String>?] = []  // per open container: its keys so far (nil for an array)
        var expectingKey = false
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            switch byte {
            case UInt8(ascii: "{"): keys.append([]); expectingKey = true
            case UInt8(ascii: "["): keys.append(nil); expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = keys.popLast(); expectingKey = false
            case UInt8(ascii: ","): expectingKey = keys.last.map { $0 != nil } ?? false
            case UInt8(ascii: "\""):
                var raw: [UInt8] = []
                while let c = iterator.popFirst(), c != UInt8(ascii: "\"") {
                    raw.append(c)
                    if c == UInt8(ascii: "\\"), let escaped = iterator.popFirst() { raw.append(escaped) }
                }
                if expectingKey, var set = keys.last ?? nil {
                    let key = String(decoding: raw, as: UTF8.self)
                    if !set.insert(key).inserted { return key }
                    keys[keys.count - 1] = set
                    expectingKey = false
                }
            default: break
            }
        }
        return nil
    }
}
