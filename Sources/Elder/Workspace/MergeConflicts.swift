import ElderEditing
import ElderModel
import ElderStore
import Foundation

/// One side's edit in a merge conflict.
public struct ConflictingEdit: Sendable, Equatable {
    public var editID: String
    public var prompt: String
    public var target: String
    /// The commit on that side that made (or restored) the edit, when found since the merge base.
    public var commit: ObjectID?
}

/// Two edits, one made on each side since the merge base, that demand different answers for one prompt.
public struct MergeConflict: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable, Codable {
        /// One edit's prompt (or training paraphrase) is the other's, after `MergeConflicts.normalized`.
        case samePrompt = "same-prompt"
        /// On the other side's state, the deferral routes one edit's prompt (or paraphrase) to the other edit.
        case routedByDeferral = "routed-by-deferral"
        /// Both sides made an edit with the same id (trained twice, from different states).
        case sameEditID = "same-edit-id"
    }
    public var ours: ConflictingEdit
    public var theirs: ConflictingEdit
    public var reason: Reason
    /// The prompt the two edits disagree on.
    public var prompt: String

    public var description: String {
        "\"\(prompt)\": ours \(ours.editID) says \"\(ours.target)\", theirs \(theirs.editID) says \"\(theirs.target)\" (\(reason.rawValue))"
    }
}

/// Finds the conflicts between the edits two branches made since their merge base.
///
/// A pair (a from ours, b from theirs, both added since the base) conflicts when their targets differ
/// (after normalization) and either
/// - a prompt of one (its prompt or a paraphrase) equals a prompt of the other after normalization, or
/// - the deferral routes them to each other: on theirs' tip (which does not hold a) one of a's prompts
///   fires and matches b, *and* on ours' tip one of b's prompts fires and matches a — "each edit already
///   answers the other's question on its branch", by the editor's own similarity check (or its Hamming
///   check, for the paper's method). Both ways, because one way alone is also what a locality miss looks
///   like (b's deferral firing on an unrelated prompt): at a locality of ~96 % per prompt, 20 + 20 edits
///   with 4 prompts each would give a few such false conflicts per merge. Editors without a deferral
///   memory (ft-l, lora) skip this test.
/// Two edits with the same id made on both sides are a conflict too, whatever their targets.
enum MergeConflicts {
    /// Unicode canonical composition, lower case, whitespace runs collapsed to one space, trimmed.
    static func normalized(_ text: String) -> String {
        text.precomposedStringWithCanonicalMapping.lowercased()
            .split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    static func prompts(_ b: EditRecordBody) -> [String] { [b.prompt] + b.paraphrases }

    static func find(ours: [EditRecordBody], theirs: [EditRecordBody], oursEditor: any Editor, theirsEditor: any Editor,
                     model: LoadedModelRef) -> [MergeConflict] {
        var out: [MergeConflict] = []
        var seen = Set<String>()
        func add(_ a: EditRecordBody, _ b: EditRecordBody, _ reason: MergeConflict.Reason, _ prompt: String) {
            guard seen.insert(a.id + "\u{0}" + b.id).inserted else { return }
            out.append(MergeConflict(ours: ConflictingEdit(editID: a.id, prompt: a.prompt, target: a.target),
                                     theirs: ConflictingEdit(editID: b.id, prompt: b.prompt, target: b.target),
                                     reason: reason, prompt: prompt))
        }
        let theirsByID = Dictionary(theirs.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // Same id on both sides.
        for a in ours { if let b = theirsByID[a.id] { add(a, b, .sameEditID, a.prompt) } }
        // Same prompt text, different answers.
        var theirsByPrompt: [String: [EditRecordBody]] = [:]
        for b in theirs { for p in prompts(b) { theirsByPrompt[normalized(p), default: []].append(b) } }
        for a in ours {
            for p in prompts(a) {
                for b in theirsByPrompt[normalized(p)] ?? [] where normalized(a.target) != normalized(b.target) {
                    add(a, b, .samePrompt, p)
                }
            }
        }
        // The deferral on each side routes a prompt of the other side's edit to its own edit, both ways.
        let oursByID = Dictionary(ours.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var oursToTheirs: [String: String] = [:]
        for a in ours {
            for p in prompts(a) {
                guard let id = model.routedEdit(p, editor: theirsEditor), let b = theirsByID[id],
                      normalized(a.target) != normalized(b.target) else { continue }
                if oursToTheirs[a.id + "\u{0}" + b.id] == nil { oursToTheirs[a.id + "\u{0}" + b.id] = p }
            }
        }
        for b in theirs {
            for p in prompts(b) {
                guard let id = model.routedEdit(p, editor: oursEditor), let a = oursByID[id],
                      let prompt = oursToTheirs[a.id + "\u{0}" + b.id] else { continue }
                add(a, b, .routedByDeferral, prompt)
            }
        }
        return out
    }
}

/// The model's tokenizer, for routing prompts through an editor's deferral.
struct LoadedModelRef {
    let model: LoadedModel

    /// The edit the editor's deferral sends `prompt` to (fired and matched), nil when it does not fire
    /// or the editor has no deferral memory.
    func routedEdit(_ prompt: String, editor: any Editor) -> String? {
        guard let mixture = editor as? MixtureEditor else { return nil }
        let routing = mixture.route(query: mixture.rawQuery(tokens: model.tokenizer.encode(prompt)))
        return routing.fired ? routing.matchedEdit : nil
    }
}
