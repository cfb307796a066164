import CLibGit2

/// A reference as a Swift value: its full name and the object it points to (peeled for symbolic refs).
public struct ReferenceInfo: Hashable, Sendable {
    public let name: String
    public let target: ObjectID?
    public let symbolicTarget: String?
}

/// References and branches. Each libgit2 `git_reference *` is freed in the call that made it.
extension Repository {
    /// The commit `name` (full ref name or shorthand like `main`) points to, or nil if there is no such ref.
    public func referenceTarget(_ name: String) throws -> ObjectID? {
        var ref: OpaquePointer?
        let rc = git_reference_dwim(&ref, handle, name)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try gitCheck(rc, "look up reference '\(name)'")
        let named = ReferenceHandle(ref!)
        var resolved: OpaquePointer?
        let rr = git_reference_resolve(&resolved, named.pointer)
        if rr == GIT_ENOTFOUND.rawValue { return nil }
        try gitCheck(rr, "resolve reference '\(name)'")
        let direct = ReferenceHandle(resolved!)
        return git_reference_target(direct.pointer).map(ObjectID.init)
    }

    /// Points `name` at `target`. With `expected`, moves only if the ref now holds `expected`
    /// (nil `expected` with `force == false` means: create, fail if it exists).
    public func setReference(_ name: String, to target: ObjectID, expected: ObjectID? = nil,
                             force: Bool = false, logMessage: String = "elder") throws {
        var ref: OpaquePointer?
        let rc: Int32 = target.withRaw { t in
            if let expected {
                return expected.withRaw { e in git_reference_create_matching(&ref, handle, name, t, 1, e, logMessage) }
            }
            return git_reference_create(&ref, handle, name, t, force ? 1 : 0, logMessage)
        }
        try gitCheck(rc, "set reference \(name) to \(target.short)")
        _ = ReferenceHandle(ref!)
    }

    public func deleteReference(_ name: String) throws {
        try gitCheck(git_reference_remove(handle, name), "delete reference \(name)")
    }

    /// Every reference whose name matches `glob` (e.g. `refs/heads/*`), sorted by name.
    public func references(matching glob: String = "*") throws -> [ReferenceInfo] {
        var iterator: OpaquePointer?
        try gitCheck(git_reference_iterator_glob_new(&iterator, handle, glob), "list references \(glob)")
        let walk = ReferenceIteratorHandle(iterator!)
        var out: [ReferenceInfo] = []
        while true {
            var ref: OpaquePointer?
            let rc = git_reference_next(&ref, walk.pointer)
            if rc == GIT_ITEROVER.rawValue { break }
            try gitCheck(rc, "next reference")
            let owner = ReferenceHandle(ref!)
            let name = String(cString: git_reference_name(owner.pointer))
            let symbolic = git_reference_symbolic_target(owner.pointer).map { String(cString: $0) }
            var target = git_reference_target(owner.pointer).map(ObjectID.init)
            if target == nil, symbolic != nil { target = try referenceTarget(name) }
            out.append(ReferenceInfo(name: name, target: target, symbolicTarget: symbolic))
        }
        return out.sorted { $0.name < $1.name }
    }

    // MARK: branches

    /// Local branch names (without `refs/heads/`), sorted.
    public func branches() throws -> [String] {
        try references(matching: "refs/heads/*").map { String($0.name.dropFirst("refs/heads/".count)) }
    }

    /// Creates branch `name` at `commit`; fails if it exists unless `force`.
    public func createBranch(_ name: String, at commit: ObjectID, force: Bool = false) throws {
        let target = try Commit.lookup(commit, in: self)
        var ref: OpaquePointer?
        try gitCheck(git_branch_create(&ref, handle, name, target.handle, force ? 1 : 0), "create branch \(name)")
        _ = ReferenceHandle(ref!)
    }

    public func deleteBranch(_ name: String) throws {
        var ref: OpaquePointer?
        try gitCheck(git_branch_lookup(&ref, handle, name, GIT_BRANCH_LOCAL), "look up branch \(name)")
        let owner = ReferenceHandle(ref!)
        try gitCheck(git_branch_delete(owner.pointer), "delete branch \(name)")
    }

    /// The branch HEAD names (even when unborn), or nil when HEAD is detached.
    public func currentBranch() throws -> String? {
        var ref: OpaquePointer?
        try gitCheck(git_reference_lookup(&ref, handle, "HEAD"), "read HEAD")
        let owner = ReferenceHandle(ref!)
        guard let target = git_reference_symbolic_target(owner.pointer) else { return nil }
        let name = String(cString: target)
        return name.hasPrefix("refs/heads/") ? String(name.dropFirst("refs/heads/".count)) : name
    }

    /// True if `name` is a valid full reference name.
    public static func isValidReferenceName(_ name: String) -> Bool {
        GitLibrary.ensureInitialized()
        var valid: Int32 = 0
        return git_reference_name_is_valid(&valid, name) == 0 && valid == 1
    }

    // MARK: tags

    /// Creates a tag on `commit`: annotated when `message` is given (tagged by `tagger`, else by the committer
    /// identity, as git does), else lightweight.
    @discardableResult
    public func createTag(_ name: String, at commit: ObjectID, message: String? = nil, tagger: Signature? = nil,
                          force: Bool = false) throws -> ObjectID {
        var object: OpaquePointer?
        try commit.withRaw { try gitCheck(git_object_lookup(&object, handle, $0, GIT_OBJECT_COMMIT), "look up \(commit.short)") }
        let target = ObjectHandle(object!)
        var oid = git_oid()
        if let message {
            let who = try tagger ?? identity(.committer)
            try who.withRaw { sig in
                try gitCheck(git_tag_create(&oid, handle, name, target.pointer, sig, message, force ? 1 : 0), "create tag \(name)")
            }
        } else {
            try gitCheck(git_tag_create_lightweight(&oid, handle, name, target.pointer, force ? 1 : 0), "create tag \(name)")
        }
        return ObjectID(oid)
    }

    /// Tag names, sorted.
    public func tags() throws -> [String] {
        try references(matching: "refs/tags/*").map { String($0.name.dropFirst("refs/tags/".count)) }
    }

    /// The message of the annotated tag object `tag`, or nil when `tag` is not a tag object.
    public func tagMessage(_ tag: ObjectID) throws -> String? {
        var object: OpaquePointer?
        let rc = tag.withRaw { git_object_lookup(&object, handle, $0, GIT_OBJECT_TAG) }
        if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EINVALIDSPEC.rawValue { return nil }
        try gitCheck(rc, "look up tag \(tag.short)")
        let owner = ObjectHandle(object!)
        return git_tag_message(owner.pointer).map { String(cString: $0) }
    }

    public func deleteTag(_ name: String) throws {
        try gitCheck(git_tag_delete(handle, name), "delete tag \(name)")
    }
}
