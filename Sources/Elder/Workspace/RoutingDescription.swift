import ElderEditing
import Foundation

/// The routing decision in a few lines of text, as `elder ask --explain` prints it and `elder serve` returns
/// it: what fired (or not), each part of the deferral rule with its threshold, and the LoRAs each adapted
/// layer used.
public enum RoutingDescription {
    /// How the lines mark their parts: colours on a terminal, nothing in plain text.
    public struct Marks {
        /// A rule met, the adapter firing.
        public var pass: (String) -> String
        /// A rule not met.
        public var fail: (String) -> String
        /// The base model answering instead.
        public var deferral: (String) -> String
        /// An edit id.
        public var name: (String) -> String

        public init(pass: @escaping (String) -> String, fail: @escaping (String) -> String,
                    deferral: @escaping (String) -> String, name: @escaping (String) -> String) {
            self.pass = pass
            self.fail = fail
            self.deferral = deferral
            self.name = name
        }

        public static var plain: Marks { Marks(pass: { $0 }, fail: { $0 }, deferral: { $0 }, name: { $0 }) }
    }

    public static func lines(_ routing: RoutingExplanation?, marks: Marks = .plain) -> [String] {
        guard let r = routing else { return ["routing: this method has no router (every prompt goes through the adapter)"] }
        func f(_ x: Float) -> String { String(format: "%.3f", x) }
        func check(_ ok: Bool) -> String { ok ? marks.pass("✓") : marks.fail("✗") }
        var rule: [String] = []
        if let s = r.similarity, let exact = r.exactMatchSimilarity, s >= exact {
            rule.append("similarity \(f(s)) (an exact match: ≥ \(f(exact)) fires whatever the margins) \(check(true))")
        } else if let s = r.similarity {
            if let minimum = r.minimumSimilarity { rule.append("similarity \(f(s)) (needs ≥ \(f(minimum))) \(check(s >= minimum))") }
            else { rule.append("similarity \(f(s))") }
            if let need = r.requiredMargin {
                if let other = r.otherEditSimilarity {
                    rule.append("lead over the next edit \(f(s - other)) (needs ≥ \(f(need))) \(check(s - other >= need))")
                } else if r.minimumSimilarity != nil {
                    rule.append("no other edit")
                } else if let m = r.margin {
                    rule.append("margin \(f(m)) (needs ≥ \(f(need)))")
                }
            }
            if let reference = r.referenceSimilarity, let need = r.requiredReferenceMargin {
                rule.append("lead over reference prompts \(f(s - reference)) (needs ≥ \(f(need))) \(check(s - reference >= need))")
            }
        }
        if let d = r.hammingDistance {
            rule.append("Hamming distance \(d)" + (r.epsilon.map { " (fires below \($0)) \(check(d < $0))" } ?? ""))
        }
        let matched = r.matchedEdit.map { (r.fired ? "matched edit " : "nearest edit ") + marks.name($0) }
        var lines: [String] = []
        if r.fired {
            lines.append("routing: " + marks.pass("adapter fired") + (matched.map { " — " + $0 } ?? ""))
        } else if r.matchedEdit == nil, r.similarity == nil, r.hammingDistance == nil {
            lines.append("routing: " + marks.deferral("deferred to the base model") + " — no edit is live at this version")
        } else {
            lines.append("routing: " + marks.deferral("deferred to the base model") + " (no edit is close enough)" + (matched.map { " — " + $0 } ?? ""))
        }
        if !rule.isEmpty { lines.append("  " + rule.joined(separator: " · ")) }
        if let siblings = r.siblingEdits {
            lines.append(siblings.isEmpty ? "  sibling edits (same subject): none"
                : "  sibling edits (same subject, left out of the lead): " + siblings.map(marks.name).joined(separator: ", "))
        }
        for layer in r.layers {
            let experts = zip(layer.experts, layer.weights).map { "LoRA \($0) (" + String(format: "%.2f", $1) + ")" }
            lines.append("  layer \(layer.layer): " + experts.joined(separator: ", "))
        }
        return lines
    }
}
