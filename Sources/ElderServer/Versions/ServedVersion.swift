import Elder
import ElderEditing
import ElderStore

/// One version of the knowledge ready to answer: the commit, its editor (adapter state and edit memory
/// over the shared base model) and what it costs to keep.
///
/// Immutable once built. Its editor is a class that caches lookups as it routes, so only the generation
/// engine's thread uses it after the version is handed over (hence the unchecked Sendable).
final class ServedVersion: @unchecked Sendable {
    let commit: ObjectID
    let stateHash: String
    let editor: any Editor
    /// Live edits at this version.
    let editCount: Int
    /// Bytes of the adapter tensors and the edit memory (what the version cache counts).
    let byteCount: Int

    init(commit: ObjectID, stateHash: String, editor: any Editor) {
        self.commit = commit
        self.stateHash = stateHash
        self.editor = editor
        editCount = editor.memory.entries.count
        byteCount = editor.adapter.parameterCount * MemoryLayout<Float>.size + editor.memory.byteCount
    }
}
