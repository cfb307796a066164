/// What can go wrong in the knowledge store, with the context needed to act on it.
/// libgit2 failures arrive as `GitError`; this type covers the format and the store's own rules.
public enum StoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The branch moved since the caller read it: rebuild on `actual` and commit again.
    case staleParent(branch: String, expected: ObjectID?, actual: ObjectID?)
    case notOnGrid(name: String, index: Int, value: Float)
    case outOfGridRange(name: String)
    case shapeMismatch(name: String, expected: [Int], got: [Int])
    case tensorRemoved(name: String, shape: [Int])
    case invalidName(kind: String, name: String)
    case duplicateName(String)
    case corrupt(what: String, reason: String)
    case unsupportedFormat(Int)
    case hashMismatch(commit: ObjectID, recorded: String, rebuilt: String)
    case notAKnowledgeRepo(String)
    case alreadyExists(String)
    case invalidArgument(String)
    /// An object declares more than a read limit (`ReadLimits`, set in git config) allows.
    case overLimit(what: String, limit: String, declared: Int, allowed: Int)
    /// A commit without Elder's trailers (made with plain git) where an Elder version was expected.
    case notAnElderCommit(ObjectID)
    /// A write failed on a disk with no room left (libgit2 may give no reason).
    case diskFull(path: String, freeBytes: Int, operation: String)

    public var description: String {
        switch self {
        case let .staleParent(branch, expected, actual):
            return "branch \(branch) moved to \(actual?.short ?? "nothing") while this ran (it was built on \(expected?.short ?? "nothing"); "
                + "another elder command committed): nothing was committed; run the command again"
        case let .notOnGrid(name, index, value):
            return "tensor \(name)[\(index)] = \(value) is not on the repo's grid: compact the state first"
        case let .outOfGridRange(name):
            return "tensor \(name) leaves the grid's range"
        case let .shapeMismatch(name, expected, got):
            return "tensor \(name) has shape \(got), expected \(expected)"
        case let .tensorRemoved(name, shape):
            return "tensor \(name) \(shape) would be removed; format version 1 cannot remove tensors"
        case let .invalidName(kind, name):
            return "invalid \(kind) name '\(name)'"
        case let .duplicateName(name):
            return "tensor name \(name) is used twice"
        case let .corrupt(what, reason):
            return "corrupt \(what): \(reason)"
        case let .unsupportedFormat(v):
            return "knowledge repo format \(v) is not supported (this Elder reads formats 1 to 3: upgrade Elder to read it)"
        case let .hashMismatch(commit, recorded, rebuilt):
            return "state of \(commit.short) rebuilt with hash \(rebuilt.prefix(12)), recorded \(recorded.prefix(12))"
        case let .notAKnowledgeRepo(path):
            return "\(path) is not an Elder knowledge repo (no elder.json at HEAD)"
        case let .alreadyExists(path):
            return "\(path) already exists"
        case let .invalidArgument(text):
            return text
        case let .notAnElderCommit(id):
            return "commit \(id.short) is not an Elder commit (no Elder-Depth/Elder-State trailers: it was made with plain git); "
                + "name an Elder commit (`elder log` marks the others), or move the branch back with `elder reset REV`"
        case let .diskFull(path, free, operation):
            return "\(operation) failed: the disk holding \(path) is full (\(free >> 10) KB free); nothing was committed "
                + "and no branch moved: free some space and run the command again"
        case let .overLimit(what, limit, declared, allowed):
            return "\(what) declares \(declared), more than \(limit) = \(allowed) allows; nothing was read "
                + "(if you trust this repo, raise it: git config \(limit) N)"
        }
    }
}

/// Name rules for anything read from or written into a repo (tree entries, edit ids, tensor names).
enum Names {
    /// StoredTensor names and edit ids: 1–128 bytes of `[A-Za-z0-9._-]`, starting with a letter or digit,
    /// without `..`. Such names are safe as single tree entries and as file names.
    static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...128).contains(bytes.count), !name.contains("..") else { return false }
        func ok(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 45
        }
        guard let first = bytes.first, ok(first), first != 46, first != 45, first != 95 else { return false }
        return bytes.allSatisfy(ok)
    }

    static func check(_ name: String, kind: String) throws {
        guard isValid(name) else { throw StoreError.invalidName(kind: kind, name: name) }
    }

    /// Trailer keys: `[A-Za-z0-9-]`, 1–64 bytes.
    static func isValidTrailerKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 }
    }
}
