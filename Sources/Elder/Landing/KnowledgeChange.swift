import ElderEditing
import ElderStore

/// One change to the knowledge, as an operation computed it and before it lands: the new state, the
/// records it makes live or takes out, where it goes and what its commit says.
///
/// Every operation that changes a branch (edit, supersede, revert, merge, cherry-pick, repair, the
/// editor's reference memory of a new repo) only computes one of these; `Workspace.land` verifies it,
/// commits it by compare-and-swap, remembers the new state and repairs what it broke.
public struct KnowledgeChange {
    /// The branch to move.
    public var branch: String
    /// The commits the change was computed on: the branch tip first (the compare-and-swap expects the
    /// branch there), then any merged commit.
    public var parents: [ObjectID]
    /// The state after the change, ready to measure: the adapter and the edit memory every rebuild of the
    /// commit will return.
    public var state: any Editor
    /// The tensors whose values differ from the first parent's state, on the repo's grid (the delta).
    public var tensors: StoredState
    /// The edit the commit makes (its id goes into the `Elder-Edit` trailer), if any.
    public var edit: StoredEditRecord?
    /// Further records made live (restored, merged, picked) or rewritten (a repair's new allocation).
    public var addedRecords: [StoredEditRecord] = []
    /// Ids of the edits the change takes out (a revert, a superseded edit, a merge's dropped edits).
    public var removedEdits: [String] = []
    public var message: String
    /// The operation's trailers; landing appends `Live-Edits-Holding` when it verifies.
    public var trailers: [Trailer] = []
    /// Every edit live after the change: what verification checks (`land(verify: true)`).
    public var liveEdits: [EditRecordBody] = []
    /// The checks of `liveEdits` on `state` when the operation already made them (a repair writes them
    /// into its message); landing then does not check again.
    public var checked: [LiveEditCheck]?
    /// Edits to retrain in a repair besides the dropped ones (allocations that collide).
    public var alsoRepair: [String] = []
    /// What the repair message says it follows ("reverting 1a2b3c (…)").
    public var repairContext = ""
    /// Author of the commit, and its committer when another identity lands it (an approval); nil: the
    /// repository's identity by git's rules (environment, then config: `Repository.identity`).
    public var author: Signature?
    public var committer: Signature?
    /// The author when the commit keeps another commit's (a cherry-pick keeps the picked author, as git does);
    /// a repair that follows is `author`'s work.
    public var keptAuthor: Signature?

    public init(branch: String, parents: [ObjectID], state: any Editor, tensors: StoredState, message: String) {
        self.branch = branch
        self.parents = parents
        self.state = state
        self.tensors = tensors
        self.message = message
    }
}

/// What landing a change did.
public struct Landing: LiveEditsVerified {
    /// The commit made (the first parent for a dry run, which commits nothing).
    public var commit: ObjectID
    public var committed = false
    /// State hash of the commit (of the first parent for a dry run).
    public var stateHash: String
    /// Bytes of tensor packs the commit wrote (before git's zlib).
    public var tensorBytes = 0
    /// Every live edit checked on the new state before the commit (empty without verification).
    public var liveEdits: [LiveEditCheck] = []
    /// The probe gate's probes before and after the change (empty without a gate).
    public var probes: [ProbeChange] = []
    /// The follow-up repair (`repair: true` and some edit dropped).
    public var repair: RepairReport?
    /// The branch tip afterwards: the repair commit when one ran, else the commit.
    public var tip: ObjectID
}
