import ElderEditing
import ElderStore

/// Trailer keys landing writes.
enum VerificationTrailers {
    /// `h/n`: live edits holding on the committed state, of all live edits (`land(verify: true)`).
    static let holding = "Live-Edits-Holding"
}

/// One live edit's prompt checked on a new state (after a revert, a merge, a cherry-pick, a repair).
public struct LiveEditCheck: Sendable, Codable, Equatable {
    public var editID: String
    public var target: String
    public var check: PromptCheck
    public var holds: Bool { check.exactMatch }
}

/// A commit verified on every live edit before it was made (a revert, a merge, a cherry-pick).
public protocol LiveEditsVerified {
    /// Every live edit checked on the new state, before any repair.
    var liveEdits: [LiveEditCheck] { get }
}

extension LiveEditsVerified {
    /// The live edits that no longer hold on the new state.
    public var dropped: [String] { liveEdits.filter { !$0.holds }.map(\.editID) }
    /// Fraction of the live edits holding (1 when there are none).
    public var fractionHolding: Double {
        liveEdits.isEmpty ? 1 : Double(liveEdits.count - dropped.count) / Double(liveEdits.count)
    }
}

extension Workspace {
    /// Every live edit of `records` checked on `editor`: its prompt, teacher-forced on its target.
    func checkLiveEdits(_ records: [EditRecordBody], on editor: any Editor) -> [LiveEditCheck] {
        let measurer = Measurer(model: model)
        return records.sorted { $0.id < $1.id }.map { b in
            LiveEditCheck(editID: b.id, target: b.target, check: measurer.check(editor: editor, prompt: b.prompt, target: b.target))
        }
    }
}
