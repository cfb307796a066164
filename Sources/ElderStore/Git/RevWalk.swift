import CLibGit2

/// Walks commit history (owns one `git_revwalk *`).
public final class RevWalk: @unchecked Sendable {
    /// The order commits come out in.
    public struct Order: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Parents after all their children.
        public static let topological = Order(rawValue: GIT_SORT_TOPOLOGICAL.rawValue)
        public static let time = Order(rawValue: GIT_SORT_TIME.rawValue)
        /// Oldest first.
        public static let reverse = Order(rawValue: GIT_SORT_REVERSE.rawValue)
    }

    let handle: OpaquePointer

    public init(repository: Repository, order: Order = .topological, firstParentOnly: Bool = false) throws {
        var out: OpaquePointer?
        try gitCheck(git_revwalk_new(&out, repository.handle), "new revision walk")
        handle = out!
        try gitCheck(git_revwalk_sorting(handle, order.rawValue), "set walk order")
        if firstParentOnly { try gitCheck(git_revwalk_simplify_first_parent(handle), "first-parent walk") }
    }
    deinit { git_revwalk_free(handle) }

    /// Starts the walk at `commit` (and its ancestors).
    public func push(_ commit: ObjectID) throws {
        try commit.withRaw { try gitCheck(git_revwalk_push(handle, $0), "walk from \(commit.short)") }
    }

    /// Leaves `commit` and its ancestors out.
    public func hide(_ commit: ObjectID) throws {
        try commit.withRaw { try gitCheck(git_revwalk_hide(handle, $0), "hide \(commit.short)") }
    }

    public func next() throws -> ObjectID? {
        var oid = git_oid()
        let rc = git_revwalk_next(&oid, handle)
        if rc == GIT_ITEROVER.rawValue { return nil }
        try gitCheck(rc, "walk next")
        return ObjectID(oid)
    }

    /// All remaining commits, at most `limit`.
    public func all(limit: Int = .max) throws -> [ObjectID] {
        var out: [ObjectID] = []
        while out.count < limit, let id = try next() { out.append(id) }
        return out
    }
}

extension Repository {
    /// Commits reachable from `from` and not from any of `excluding`, newest first (topological).
    public func log(from: ObjectID, excluding: [ObjectID] = [], firstParentOnly: Bool = false,
                    limit: Int = .max) throws -> [ObjectID] {
        let walk = try RevWalk(repository: self, order: [.topological, .time], firstParentOnly: firstParentOnly)
        try walk.push(from)
        for id in excluding { try walk.hide(id) }
        return try walk.all(limit: limit)
    }
}
