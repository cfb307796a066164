import ElderEditing
import ElderModel
import ElderRecords
import ElderTensor

/// Why held-out wordings miss (method research, `bench lifelong --diagnose`): for each held-out paraphrase,
/// where the deferral sent it (its own edit, a sibling edit of the same subject, another edit, nowhere),
/// whether it gave the target as routed, and whether it would have given it had it been routed through its
/// own edit's LoRAs (the adapter's own generalization, apart from the deferral's).
public struct GeneralizationDiagnosis: Equatable, Codable, Sendable {
    public var prompts = 0
    public var firedOwn = 0
    public var firedSibling = 0
    public var firedOther = 0
    public var notFired = 0
    /// Exact match as routed, over all prompts and over those fired on their own edit.
    public var right = 0
    public var rightWhenFiredOwn = 0
    /// Exact match when routed through the own edit by hand, over all prompts.
    public var rightWhenRoutedOwn = 0

    public init() {}

    /// Diagnoses the held-out paraphrases of `edits` on `subject`'s current state.
    public static func measure(_ edits: [EditRecord], subject: EditorUnderTest, encoder: TextEncoder) throws -> GeneralizationDiagnosis {
        var d = GeneralizationDiagnosis()
        var idOf: [String: EditRecord] = [:]
        for e in edits { idOf[e.id ?? e.prompt] = e }
        for edit in edits {
            let id = edit.id ?? edit.prompt
            let target = try encoder.encode(edit.target)
            for prompt in edit.heldout {
                let p = try encoder.encode(prompt)
                func exact(_ logits: Tensor) -> Bool {
                    (0..<target.count).allSatisfy { argmax(logits.row($0)) == target[$0] }
                }
                d.prompts += 1
                let (logits, routing) = subject.edited.answerLogits(prompt: p, answer: target)
                let ok = exact(logits)
                if ok { d.right += 1 }
                if routing.fired, let matched = routing.matchedEdit {
                    if matched == id {
                        d.firedOwn += 1
                        if ok { d.rightWhenFiredOwn += 1 }
                    } else if let other = idOf[matched], other.subject != nil, other.subject == edit.subject {
                        d.firedSibling += 1
                    } else {
                        d.firedOther += 1
                    }
                } else {
                    d.notFired += 1
                }
                if let own = subject.editor.routing(toEdit: id),
                   exact(subject.edited.answerLogits(prompt: p, answer: target, routing: own).logits) {
                    d.rightWhenRoutedOwn += 1
                }
            }
        }
        return d
    }

    /// One Markdown paragraph with the shares.
    public var markdown: String {
        func pct(_ n: Int, _ of: Int) -> String { of == 0 ? "–" : String(format: "%.1f%%", Double(n) * 100 / Double(of)) }
        return "Held-out paraphrases: \(prompts); deferral fired on its own edit \(pct(firedOwn, prompts)), on a sibling "
            + "\(pct(firedSibling, prompts)), on another edit \(pct(firedOther, prompts)), not at all \(pct(notFired, prompts)); "
            + "exact match as routed \(pct(right, prompts)) (\(pct(rightWhenFiredOwn, firedOwn)) of those fired on their own "
            + "edit); routed through their own edit by hand \(pct(rightWhenRoutedOwn, prompts))."
    }
}
