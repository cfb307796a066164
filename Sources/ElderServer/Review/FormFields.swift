import Foundation

/// The fields of an HTML form, as a browser sends them: `application/x-www-form-urlencoded` in a POST
/// body or in a GET query (`+` is a space, `%XX` a byte of UTF-8). A field given twice keeps its first value.
struct FormFields: Sendable {
    private var values: [String: String] = [:]

    /// The most fields one form may have; more are ignored.
    static let maxFields = 64

    init(encoded: String) {
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true).prefix(Self.maxFields) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = Self.decode(parts[0]) else { continue }
            let value = parts.count > 1 ? Self.decode(parts[1]) ?? "" : ""
            if values[key] == nil { values[key] = value }
        }
    }

    init(_ values: [String: String] = [:]) { self.values = values }

    static func decode(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    subscript(_ name: String) -> String? { values[name] }

    /// The field with surrounding whitespace removed; nil when absent or empty.
    func trimmed(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }
}
