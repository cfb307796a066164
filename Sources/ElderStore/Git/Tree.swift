import CLibGit2

/// One entry of a tree, copied out of libgit2 at once.
public struct TreeEntry: Hashable, Sendable {
    public enum Kind: Sendable { case blob, tree, other }
    public let name: String
    public let id: ObjectID
    public let kind: Kind
}

/// A tree object (owns one `git_tree *`).
public final class Tree: @unchecked Sendable {
    let handle: OpaquePointer
    let repository: Repository

    init(handle: OpaquePointer, repository: Repository) {
        self.handle = handle
        self.repository = repository
    }
    deinit { git_tree_free(handle) }

    public static func lookup(_ id: ObjectID, in repository: Repository) throws -> Tree {
        var out: OpaquePointer?
        try id.withRaw { try gitCheck(git_tree_lookup(&out, repository.handle, $0), "look up tree \(id.short)") }
        return Tree(handle: out!, repository: repository)
    }

    public var id: ObjectID { ObjectID(git_tree_id(handle)) }
    public var count: Int { git_tree_entrycount(handle) }

    /// All entries, in git's order.
    public var entries: [TreeEntry] {
        (0..<count).compactMap { i in git_tree_entry_byindex(handle, i).map(TreeEntry.init(entry:)) }
    }

    /// The entry called `name` directly in this tree.
    public func entry(named name: String) -> TreeEntry? {
        git_tree_entry_byname(handle, name).map(TreeEntry.init(entry:))
    }

    /// The subtree called `name`, or nil when there is none.
    public func subtree(named name: String) throws -> Tree? {
        guard let e = entry(named: name), e.kind == .tree else { return nil }
        return try Tree.lookup(e.id, in: repository)
    }
}

extension TreeEntry {
    init(entry: OpaquePointer) {
        name = String(cString: git_tree_entry_name(entry))
        id = ObjectID(git_tree_entry_id(entry))
        switch git_tree_entry_type(entry) {
        case GIT_OBJECT_BLOB: kind = .blob
        case GIT_OBJECT_TREE: kind = .tree
        default: kind = .other
        }
    }
}

/// Builds one tree level (owns one `git_treebuilder *`); touches no index or work tree.
public final class TreeBuilder: @unchecked Sendable {
    let handle: OpaquePointer
    let repository: Repository

    /// An empty builder, or one that starts from the entries of `base`.
    public init(repository: Repository, base: Tree? = nil) throws {
        var out: OpaquePointer?
        try gitCheck(git_treebuilder_new(&out, repository.handle, base?.handle), "new tree builder")
        handle = out!
        self.repository = repository
    }
    deinit { git_treebuilder_free(handle) }

    public var count: Int { git_treebuilder_entrycount(handle) }

    /// Adds or replaces a blob entry (mode 100644).
    public func insertBlob(_ name: String, _ id: ObjectID) throws {
        try insert(name, id, mode: GIT_FILEMODE_BLOB)
    }

    /// Adds or replaces a subtree entry (mode 040000).
    public func insertTree(_ name: String, _ id: ObjectID) throws {
        try insert(name, id, mode: GIT_FILEMODE_TREE)
    }

    private func insert(_ name: String, _ id: ObjectID, mode: git_filemode_t) throws {
        guard TreeBuilder.isValidEntryName(name) else {
            throw GitError(operation: "insert tree entry", code: .invalidSpec, errorClass: 0,
                           message: "invalid entry name '\(name)'")
        }
        try id.withRaw { try gitCheck(git_treebuilder_insert(nil, handle, name, $0, mode), "insert tree entry '\(name)'") }
    }

    /// Removes `name` if present.
    public func remove(_ name: String) throws {
        guard git_treebuilder_get(handle, name) != nil else { return }
        try gitCheck(git_treebuilder_remove(handle, name), "remove tree entry '\(name)'")
    }

    /// Writes the tree object and returns its id.
    public func write() throws -> ObjectID {
        var oid = git_oid()
        try repository.writing { try gitCheck(git_treebuilder_write(&oid, handle), "write tree") }
        return ObjectID(oid)
    }

    /// One path component: not empty, not `.`/`..`, no `/`, NUL or control characters, at most 255 bytes.
    public static func isValidEntryName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 255, name != ".", name != "..", name.lowercased() != ".git" else { return false }
        return !bytes.contains { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") || $0 < 0x20 || $0 == 0x7f }
    }
}
