import Dispatch
import ElderStore

/// Commits synthetic edits to a knowledge store the way the editor will: rebuild the tip, train
/// (here: gaussian steps), compact relative to the tip, commit; on a lost race, start again from the
/// new tip. Used by tests, `elder-bench store` and `elder-bench debug store-writer`.
public final class SyntheticHistoryWriter {
    public let store: KnowledgeStore
    public var editor: SyntheticEditor
    public var carry = CompactionCarry()
    public let editPrefix: String
    /// What the last compaction left uncommitted: rms(remainder) / rms(trained − parent) over the changed tensors.
    public private(set) var lastRelativeError = 0.0
    /// Seconds the last `compact` and `commit` calls took (the store's share of an edit).
    public private(set) var lastCompactSeconds = 0.0
    public private(set) var lastCommitSeconds = 0.0
    /// Commits that lost the compare-and-swap and were redone.
    public private(set) var retries = 0

    public init(store: KnowledgeStore, editor: SyntheticEditor, editPrefix: String = "e") {
        self.store = store
        self.editor = editor
        self.editPrefix = editPrefix
    }

    /// Creates a repo holding the editor's initial state.
    public static func createRepository(at path: String, options: StoreOptions, editor: inout SyntheticEditor) throws -> (KnowledgeStore, CommitResult) {
        try KnowledgeStore.create(at: path, options: options, workspaceConfigJSON: Array("{\"synthetic\":true}".utf8),
                                  initial: editor.initialState(), message: "Initial synthetic adapter")
    }

    /// Commits edit number `number` on `branch`, retrying when another writer moved the branch.
    @discardableResult
    public func commitEdit(number: Int, branch: String = "main", extraParents: [ObjectID] = []) throws -> CommitResult {
        let id = "\(editPrefix)\(number)"
        let allocation = editor.allocation()
        while true {
            guard let tip = try store.tip(of: branch) else { throw StoreError.invalidArgument("no branch \(branch)") }
            let parent = try store.state(of: tip)
            let trained = editor.trainedEdit(from: parent, allocation: allocation)
            let compactStart = DispatchTime.now().uptimeNanoseconds
            let committed = try store.compact(trained: trained, parent: tip, carry: &carry)
            lastCompactSeconds = Double(DispatchTime.now().uptimeNanoseconds - compactStart) / 1e9
            lastRelativeError = Self.remainderRatio(carry: carry, trained: trained, parent: parent)
            var codes = try store.codebook(at: tip)["codes.bin"] ?? []
            codes += editor.code(allocation)
            let record = StoredEditRecord(id: id, json: Array("{\"id\":\"\(id)\",\"prompt\":\"synthetic fact \(number)\",\"allocation\":\(allocation)}".utf8))
            let request = CommitRequest(branch: branch, parents: [tip] + extraParents, edit: record,
                                        tensors: committed.tensors, routers: committed.routers,
                                        codebook: ["codes.bin": codes], message: "Synthetic edit \(number)",
                                        trailers: [Trailer("Reliability", "1.0")])
            do {
                let commitStart = DispatchTime.now().uptimeNanoseconds
                let result = try store.commit(request)
                lastCommitSeconds = Double(DispatchTime.now().uptimeNanoseconds - commitStart) / 1e9
                return result
            } catch StoreError.staleParent {
                retries += 1
                carry = CompactionCarry()
            }
        }
    }

    static func remainderRatio(carry: CompactionCarry, trained: StoredState, parent: StoredState) -> Double {
        var rem = 0.0, upd = 0.0
        for (name, t) in trained.tensors.merging(trained.routers, uniquingKeysWith: { a, _ in a }) {
            guard let r = carry.residuals[name], let p = parent[name] else { continue }
            for i in 0..<t.count {
                let u = Double(t.values[i]) - Double(p.values[i])
                rem += Double(r[i]) * Double(r[i]); upd += u * u
            }
        }
        return upd > 0 ? (rem / upd).squareRoot() : 0
    }
}
