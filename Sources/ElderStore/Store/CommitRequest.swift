/// One live edit's record as the store keeps it: its id and the JSON bytes the workspace wrote, stored as
/// `edits/<id>.json` (the workspace decodes them as `EditRecordBody`; an edit file's record is ElderRecords' `EditRecord`).
public struct StoredEditRecord: Sendable, Equatable {
    public let id: String
    public let json: [UInt8]

    public init(id: String, json: [UInt8]) {
        self.id = id
        self.json = json
    }
}

/// A `Key: value` line at the end of a commit message.
public struct Trailer: Sendable, Equatable {
    public let key: String
    public let value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// Everything one commit of the knowledge repo is made of (see `KnowledgeStore.commit`).
public struct CommitRequest: Sendable {
    /// The branch to move, e.g. `main`; it must exist and point at `parents[0]`.
    public var branch: String
    /// First parent = the branch's tip the new state was built on; a second parent makes a merge.
    public var parents: [ObjectID]
    /// The edit this commit makes (its id goes into the `Elder-Edit` trailer).
    public var edit: StoredEditRecord?
    /// Further edit records to add (a merge brings the other branch's edits).
    public var addedEdits: [StoredEditRecord]
    /// Edit ids no longer live (a revert).
    public var removedEdits: [String]
    /// Adapter tensors of the new state that changed (values on the repo's grid: run `compact` first).
    public var tensors: [String: StoredTensor]
    /// Router tensors of the new state (normally all of them; unchanged ones may be left out).
    public var routers: [String: StoredTensor]
    /// New codebook files (`codebook/<name>`); nil keeps the parent's codebook.
    public var codebook: [String: [UInt8]]?
    public var message: String
    public var trailers: [Trailer]
    /// Author; nil: the repository's author identity by git's rules (`Repository.identity(.author)`).
    public var author: Signature?
    /// Committer, when another identity lands the commit (an approval); nil: the repository's committer
    /// identity by git's rules, as `git commit --author` keeps the committer.
    public var committer: Signature?

    public init(branch: String, parents: [ObjectID], edit: StoredEditRecord? = nil, addedEdits: [StoredEditRecord] = [],
                removedEdits: [String] = [], tensors: [String: StoredTensor] = [:], routers: [String: StoredTensor] = [:],
                codebook: [String: [UInt8]]? = nil, message: String, trailers: [Trailer] = [],
                author: Signature? = nil, committer: Signature? = nil) {
        self.branch = branch
        self.parents = parents
        self.edit = edit
        self.addedEdits = addedEdits
        self.removedEdits = removedEdits
        self.tensors = tensors
        self.routers = routers
        self.codebook = codebook
        self.message = message
        self.trailers = trailers
        self.author = author
        self.committer = committer
    }
}

/// What a commit wrote.
public struct CommitResult: Sendable, Equatable {
    public let id: ObjectID
    public let depth: Int
    public let stateHash: String
    public let isKeyframe: Bool
    /// Bytes of the tensor blobs this commit wrote before git's zlib (delta, router, keyframe).
    public let tensorBytes: Int
}
