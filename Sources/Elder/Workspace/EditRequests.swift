import ElderEditing
import ElderRecords
import ElderStable
import ElderStore
import Foundation

extension Workspace {
    /// A stable id for an edit given without one: `e` + 12 hex digits of its prompt and target (FNV-1a),
    /// so rerunning an edit file finds the edits an interrupted run already committed.
    public static func contentEditID(prompt: String, target: String) -> String {
        "e" + hex16(stableHash(prompt + "\u{0}" + target)).suffix(12)
    }

    /// The commit message an edit gets when the user gives none.
    public static func defaultMessage(for request: EditRequest) -> String {
        "Edit \"\(request.prompt)\" → \"\(request.target)\""
    }
}

extension EditRecord {
    /// The request `Workspace.edit` trains: the record's id (or its content id), prompt, target and
    /// training paraphrases. Held-out paraphrases and probes are for measuring, not training.
    public var editRequest: EditRequest {
        EditRequest(id: id ?? Workspace.contentEditID(prompt: prompt, target: target), prompt: prompt, target: target,
                    paraphrases: paraphrases)
    }
}

/// What the same-prompt rule says about an edit before it is trained (`RepoHistory.editPlan`).
public struct EditPlan: Sendable {
    /// The branch tip the rule was read at.
    public var tip: ObjectID
    /// The live edit that already teaches the prompt this target: nothing to do.
    public var upToDate: EditRecordBody?
    /// The live edits of the same prompt with another target, which the edit supersedes.
    public var supersedes: [EditRecordBody] = []
}

/// Trailer keys of an edit commit. `of(prompt:target:)`: the trailers every commit that makes an edit carries, whatever its message (`-m`, a hook's rewrite): the
/// prompt and the target, each a JSON string — the quotes keep the target's leading space, which
/// `git interpret-trailers` would trim, and the escapes keep a value on one line. A value over the store's
/// trailer limit (1000 bytes) is left out; the edit record in the tree always has both.
enum EditTrailers {
    static let prompt = "Prompt"
    static let target = "Target"
    /// `yes`: the edit does not hold on the committed state and the person asked for it to be committed.
    static let allowedNotHolding = "Allowed-Not-Holding"
    /// The branch tip the edit was trained on, when another writer moved the branch meanwhile and the
    /// update was moved onto the new tip (`Workspace.rebaseEdit`).
    static let trainedOn = "Trained-On"
    /// `h/n`: edits that landed on the branch while the edit trained and still hold on the rebased state,
    /// of those that held on the new tip.
    static let rebaseChecked = "Rebase-Checked"

    static func of(prompt: String, target: String) -> [Trailer] {
        [(Self.prompt, prompt), (Self.target, target)].compactMap { key, value in
            let text = JSONText.string(value).rendered
            return text.utf8.count <= 1000 ? Trailer(key, text) : nil
        }
    }
}
