import CLibGit2

/// Who made a commit and when (a Swift value; converted to a `git_signature` only inside calls).
public struct Signature: Sendable, Hashable {
    public var name: String
    public var email: String
    /// Seconds since 1970; nil means now.
    public var time: Int64?
    public var offsetMinutes: Int32

    public init(name: String, email: String, time: Int64? = nil, offsetMinutes: Int32 = 0) {
        self.name = name; self.email = email; self.time = time; self.offsetMinutes = offsetMinutes
    }

    @discardableResult
    func withRaw<R>(_ body: (UnsafePointer<git_signature>) throws -> R) throws -> R {
        var sig: UnsafeMutablePointer<git_signature>?
        if let time {
            try gitCheck(git_signature_new(&sig, name, email, time, offsetMinutes), "make signature")
        } else {
            try gitCheck(git_signature_now(&sig, name, email), "make signature")
        }
        let owner = SignatureHandle(sig!)
        return try body(owner.pointer)
    }
}

/// A commit object (owns one `git_commit *`); getters copy into Swift values.
public final class Commit: @unchecked Sendable {
    let handle: OpaquePointer
    let repository: Repository

    private init(handle: OpaquePointer, repository: Repository) {
        self.handle = handle
        self.repository = repository
    }
    deinit { git_commit_free(handle) }

    public static func lookup(_ id: ObjectID, in repository: Repository) throws -> Commit {
        var out: OpaquePointer?
        try id.withRaw { try gitCheck(git_commit_lookup(&out, repository.handle, $0), "look up commit \(id.short)") }
        return Commit(handle: out!, repository: repository)
    }

    public var id: ObjectID { ObjectID(git_commit_id(handle)) }
    public var treeID: ObjectID { ObjectID(git_commit_tree_id(handle)) }
    public var message: String { git_commit_message(handle).map { String(cString: $0) } ?? "" }
    public var summary: String { git_commit_summary(handle).map { String(cString: $0) } ?? "" }
    public var time: Int64 { git_commit_time(handle) }
    public var parentIDs: [ObjectID] {
        (0..<git_commit_parentcount(handle)).compactMap { git_commit_parent_id(handle, $0).map(ObjectID.init) }
    }
    public var author: Signature { Signature(git_commit_author(handle)) }

    public func tree() throws -> Tree { try Tree.lookup(treeID, in: repository) }

    /// The message's trailers (`Key: value` lines of the last paragraph), in order.
    public var trailers: [(key: String, value: String)] {
        var array = git_message_trailer_array()
        guard git_message_trailers(&array, git_commit_message(handle)) == 0 else { return [] }
        defer { git_message_trailer_array_free(&array) }
        return (0..<array.count).map { i in
            (String(cString: array.trailers[i].key), String(cString: array.trailers[i].value))
        }
    }

    /// Writes a commit. With `updateRef`, the ref moves only if `parents.first` is its current tip
    /// (libgit2's compare-and-swap; a lost race throws `.modified`).
    public static func create(in repository: Repository, updateRef: String?, author: Signature, committer: Signature,
                              message: String, tree treeID: ObjectID, parents: [ObjectID]) throws -> ObjectID {
        let tree = try Tree.lookup(treeID, in: repository)
        let parentCommits = try parents.map { try Commit.lookup($0, in: repository) }
        var parentHandles: [OpaquePointer?] = parentCommits.map { $0.handle }
        var oid = git_oid()
        try author.withRaw { a in
            try committer.withRaw { c in
                let rc = parentHandles.withUnsafeMutableBufferPointer { buf in
                    git_commit_create(&oid, repository.handle, updateRef, a, c, nil, message, tree.handle,
                                      parents.count, buf.baseAddress)
                }
                try repository.writing { try gitCheck(rc, "create commit" + (updateRef.map { " on \($0)" } ?? "")) }
            }
        }
        return ObjectID(oid)
    }
}

extension Signature {
    init(_ sig: UnsafePointer<git_signature>) {
        name = String(cString: sig.pointee.name)
        email = String(cString: sig.pointee.email)
        time = sig.pointee.when.time
        offsetMinutes = sig.pointee.when.offset
    }
}
