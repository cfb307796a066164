/// The text of a generation as its tokens arrive: hands out complete UTF-8 characters only, holds back
/// what could be the start of a stop string, and cuts the text before the first stop string.
public struct GeneratedText: Sendable {
    public let stopStrings: [String]
    /// The text so far (cut before a stop string once one appeared).
    public private(set) var text = ""
    /// A stop string appeared: the text is final.
    public private(set) var stopped = false
    private var bytes: [UInt8] = []
    /// Bytes of `bytes` already handed out.
    private var emitted = 0
    private let holdBack: Int

    public init(stopStrings: [String] = []) {
        self.stopStrings = stopStrings.filter { !$0.isEmpty }
        holdBack = self.stopStrings.map { $0.utf8.count - 1 }.max() ?? 0
    }

    /// Adds one token's bytes; returns the text that is now safe to show (possibly empty).
    public mutating func append(_ tokenBytes: [UInt8]) -> String {
        precondition(!stopped, "GeneratedText: append after a stop string")
        bytes += tokenBytes
        text = String(decoding: bytes, as: UTF8.self)
        if let cut = stopStrings.compactMap({ text.range(of: $0)?.lowerBound }).min() {
            text = String(text[..<cut])
            stopped = true
            let shown = String(decoding: bytes[..<emitted], as: UTF8.self)
            return text.count > shown.count ? String(text.dropFirst(shown.count)) : ""
        }
        // The complete UTF-8 characters not yet shown, holding back a possible stop-string prefix.
        let complete = Self.completeUTF8Prefix(bytes)
        guard complete - holdBack > emitted else { return "" }
        let upTo = Self.completeUTF8Prefix(Array(bytes[..<(complete - holdBack)]))
        guard upTo > emitted else { return "" }
        defer { emitted = upTo }
        return String(decoding: bytes[emitted..<upTo], as: UTF8.self)
    }

    /// The rest of the text once generation ended without a stop string (what was held back).
    public mutating func finish() -> String {
        guard !stopped, emitted < bytes.count else { return "" }
        defer { emitted = bytes.count }
        return String(decoding: bytes[emitted...], as: UTF8.self)
    }

    /// Length of the longest prefix of `bytes` that ends on a UTF-8 character boundary.
    static func completeUTF8Prefix(_ bytes: [UInt8]) -> Int {
        var i = bytes.count
        var back = 0
        while i > 0 && back < 4 {
            let b = bytes[i - 1]
            if b & 0xC0 != 0x80 {  // a lead byte or ASCII
                let need = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
                return back + 1 >= need ? bytes.count : i - 1
            }
            i -= 1
            back += 1
        }
        return bytes.count
    }
}
