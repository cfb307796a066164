import Crypto
import CLibGit2
import Foundation

/// An open git repository (owns one `git_repository *`). Not thread-safe: use one per thread or
/// serialize access; `@unchecked Sendable` so it can be handed between tasks.
public final class Repository: @unchecked Sendable {
    let handle: OpaquePointer

    private init(handle: OpaquePointer) { self.handle = handle }
    /// Takes ownership of a `git_repository *` made by another libgit2 call (e.g. `git_clone`).
    convenience init(owning handle: OpaquePointer) { self.init(handle: handle) }
    deinit { git_repository_free(handle) }

    /// Opens the repository at `path` (a git dir or a work tree); does not search parent folders.
    public static func open(at path: String) throws -> Repository {
        GitLibrary.ensureInitialized()
        var out: OpaquePointer?
        try gitCheck(git_repository_open_ext(&out, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil),
                     "open repository \(path)")
        return Repository(handle: out!)
    }

    /// Creates a repository at `path` (bare: `path` is the git dir) with `initialBranch` as HEAD.
    public static func create(at path: String, bare: Bool, initialBranch: String = "main") throws -> Repository {
        GitLibrary.ensureInitialized()
        var options = git_repository_init_options()
        try gitCheck(git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)),
                     "init options")
        options.flags = GIT_REPOSITORY_INIT_MKPATH.rawValue | GIT_REPOSITORY_INIT_NO_REINIT.rawValue
        if bare { options.flags |= GIT_REPOSITORY_INIT_BARE.rawValue }
        var out: OpaquePointer?
        try initialBranch.withCString { branch in
            options.initial_head = branch
            try gitCheck(git_repository_init_ext(&out, path, &options), "create repository \(path)")
        }
        return Repository(handle: out!)
    }

    /// Reads objects from `folder` too (an `objects` folder: git's quarantine of a push that a pre-receive hook
    /// is judging, `GIT_QUARANTINE_PATH`, holds the pushed objects until the hook accepts them).
    public func addObjectDirectory(_ folder: String) throws {
        var raw: OpaquePointer?
        try gitCheck(git_repository_odb(&raw, handle), "open the object database")
        let odb = ObjectDatabaseHandle(raw!)
        try gitCheck(git_odb_add_disk_alternate(odb.pointer, folder), "read objects from \(folder)")
    }

    /// The git dir (`.git` folder, or the repository itself when bare), with a trailing slash.
    public var gitDirectory: String { String(cString: git_repository_path(handle)) }
    public var isBare: Bool { git_repository_is_bare(handle) == 1 }

    // MARK: blobs

    /// Writes `data` as a blob and returns its id.
    public func writeBlob(_ data: [UInt8]) throws -> ObjectID {
        var oid = git_oid()
        try writing(bytes: data.count) {
            try data.withUnsafeBytes { raw in
                try gitCheck(git_blob_create_from_buffer(&oid, handle, raw.baseAddress, raw.count), "write blob")
            }
        }
        return ObjectID(oid)
    }

    /// Runs a write; when it fails and the disk holding the repository has less room than the write needs
    /// (libgit2 1.5 often says nothing about it), the error says so: `StoreError.diskFull`.
    func writing<R>(bytes: Int = 0, _ body: () throws -> R) throws -> R {
        do { return try body() } catch let error as GitError {
            var info = statvfs()
            guard statvfs(gitDirectory, &info) == 0 else { throw error }
            let free = Int(info.f_bavail) * Int(info.f_frsize)
            if free < max(bytes * 2, 1 << 20) || info.f_favail == 0 {
                throw StoreError.diskFull(path: gitDirectory, freeBytes: free, operation: error.operation)
            }
            throw error
        }
    }

    /// Reads a blob, refusing (before loading it) any blob larger than `maxBytes`.
    public func readBlob(_ id: ObjectID, maxBytes: Int) throws -> [UInt8] {
        let size = try objectSize(id, expecting: GIT_OBJECT_BLOB, what: "blob")
        guard size <= maxBytes else {
            throw GitError(operation: "read blob \(id.short)", code: .generic, errorClass: 0,
                           message: "blob has \(size) bytes, more than the allowed \(maxBytes)")
        }
        var blob: OpaquePointer?
        try id.withRaw { try gitCheck(git_blob_lookup(&blob, handle, $0), "look up blob \(id.short)") }
        let owner = BlobHandle(blob!)
        let count = Int(git_blob_rawsize(owner.pointer))
        guard count > 0, let base = git_blob_rawcontent(owner.pointer) else { return [] }
        return withExtendedLifetime(owner) { Array(UnsafeRawBufferPointer(start: base, count: count)) }
    }

    /// `readBlob`, with the bytes checked against the blob's id (SHA-1 of `blob <size>\0` and the bytes, as git
    /// computes it): libgit2's own check is off for speed (GitLibrary), so parts of a version that no state hash
    /// covers (the codebook, `elder.json`) are checked here.
    public func readVerifiedBlob(_ id: ObjectID, maxBytes: Int) throws -> [UInt8] {
        let bytes = try readBlob(id, maxBytes: maxBytes)
        var hasher = Insecure.SHA1()
        hasher.update(data: Array("blob \(bytes.count)\0".utf8))
        hasher.update(data: bytes)
        guard Array(hasher.finalize()) == id.bytes else {
            throw GitError(operation: "read blob \(id.short)", code: .generic, errorClass: 0,
                           message: "its content does not hash to its id: the object database is damaged (run git fsck)")
        }
        return bytes
    }

    /// A blob's size from its object header, without reading it.
    public func blobSize(_ id: ObjectID) throws -> Int {
        try objectSize(id, expecting: GIT_OBJECT_BLOB, what: "blob")
    }

    /// The size of an object from its header (no full read), checking its type.
    func objectSize(_ id: ObjectID, expecting type: git_object_t, what: String) throws -> Int {
        var odb: OpaquePointer?
        try gitCheck(git_repository_odb(&odb, handle), "open object database")
        let owner = ObjectDatabaseHandle(odb!)
        var size = 0
        var actual = GIT_OBJECT_INVALID
        try id.withRaw { try gitCheck(git_odb_read_header(&size, &actual, owner.pointer, $0), "read \(what) header \(id.short)") }
        guard actual == type else {
            throw GitError(operation: "read \(what) \(id.short)", code: .generic, errorClass: 0,
                           message: "object is not a \(what)")
        }
        return size
    }

    /// True if the object database holds `id`.
    public func contains(_ id: ObjectID) -> Bool {
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, handle) == 0, let odb else { return false }
        let owner = ObjectDatabaseHandle(odb)
        return id.withRaw { git_odb_exists(owner.pointer, $0) } == 1
    }

    // MARK: revisions

    /// Resolves any revspec (`HEAD~3`, a branch, a tag, an id or prefix) to the commit it names.
    public func resolveCommit(_ revspec: String) throws -> ObjectID {
        var object: OpaquePointer?
        try gitCheck(git_revparse_single(&object, handle, revspec), "resolve revision '\(revspec.count <= 80 ? revspec : String(revspec.prefix(60)) + "…")'")
        let named = ObjectHandle(object!)
        var peeled: OpaquePointer?
        try gitCheck(git_object_peel(&peeled, named.pointer, GIT_OBJECT_COMMIT), "peel '\(revspec.count <= 80 ? revspec : String(revspec.prefix(60)) + "…")' to a commit")
        let commit = ObjectHandle(peeled!)
        return ObjectID(git_object_id(commit.pointer))
    }

    /// The commit HEAD points to, or nil on an unborn branch.
    public func headCommit() throws -> ObjectID? {
        var ref: OpaquePointer?
        let rc = git_repository_head(&ref, handle)
        if rc == GIT_EUNBORNBRANCH.rawValue || rc == GIT_ENOTFOUND.rawValue { return nil }
        try gitCheck(rc, "read HEAD")
        let owner = ReferenceHandle(ref!)
        guard let target = git_reference_target(owner.pointer) else { return nil }
        return ObjectID(target)
    }

    /// Points HEAD at `refName` (e.g. `refs/heads/main`); the branch may be unborn.
    public func setHead(_ refName: String) throws {
        try gitCheck(git_repository_set_head(handle, refName), "set HEAD to \(refName)")
    }

    /// Points HEAD straight at `commit` (a detached HEAD, as `git checkout COMMIT`).
    public func setHeadDetached(_ commit: ObjectID) throws {
        try commit.withRaw { try gitCheck(git_repository_set_head_detached(handle, $0), "detach HEAD at \(commit.short)") }
    }

    // MARK: graph

    /// The best common ancestor of two commits, or nil when they share no history.
    public func mergeBase(_ a: ObjectID, _ b: ObjectID) throws -> ObjectID? {
        var out = git_oid()
        let rc = a.withRaw { pa in b.withRaw { pb in git_merge_base(&out, handle, pa, pb) } }
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try gitCheck(rc, "merge base of \(a.short) and \(b.short)")
        return ObjectID(out)
    }

    /// True if `commit` has `ancestor` in its history (a commit is not its own descendant).
    public func isDescendant(_ commit: ObjectID, of ancestor: ObjectID) throws -> Bool {
        let rc = commit.withRaw { c in ancestor.withRaw { a in git_graph_descendant_of(handle, c, a) } }
        try gitCheck(rc, "descendant check \(commit.short) of \(ancestor.short)")
        return rc == 1
    }

    /// Commits reachable from `a` but not `b`, and from `b` but not `a`.
    public func aheadBehind(_ a: ObjectID, _ b: ObjectID) throws -> (ahead: Int, behind: Int) {
        var ahead = 0, behind = 0
        let rc = a.withRaw { pa in b.withRaw { pb in git_graph_ahead_behind(&ahead, &behind, handle, pa, pb) } }
        try gitCheck(rc, "ahead/behind \(a.short) \(b.short)")
        return (ahead, behind)
    }
}
