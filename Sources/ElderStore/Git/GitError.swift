import CLibGit2

/// A failed libgit2 call: the operation Elder attempted, libgit2's return code and its message.
/// `git_error_last()` may be NULL in libgit2 1.5.1; the message then says so.
public struct GitError: Error, CustomStringConvertible, Sendable, Equatable {
    /// libgit2's `git_error_code`, kept as its raw value with names for the codes Elder acts on.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let generic = Code(rawValue: -1)
        public static let notFound = Code(rawValue: -3)
        public static let exists = Code(rawValue: -4)
        public static let ambiguous = Code(rawValue: -5)
        public static let unbornBranch = Code(rawValue: -9)
        public static let nonFastForward = Code(rawValue: -11)
        public static let invalidSpec = Code(rawValue: -12)
        public static let locked = Code(rawValue: -14)
        /// The reference did not hold the expected value (compare-and-swap lost).
        public static let modified = Code(rawValue: -15)
        public static let peel = Code(rawValue: -19)
        public static let iterationOver = Code(rawValue: -31)
    }

    public let operation: String
    public let code: Code
    /// libgit2's error class (`GIT_ERROR_*`), 0 when libgit2 gave no details.
    public let errorClass: Int32
    public let message: String

    public var description: String {
        "\(operation) failed (libgit2 code \(code.rawValue), class \(errorClass)): "
            + (message.count <= 300 ? message : String(message.prefix(300)) + "…")
    }
}

/// libgit2's process-wide initialisation, done once and lazily (a Swift global is initialised atomically).
public enum GitLibrary {
    static let initialized: Bool = {
        git_libgit2_init()
        // Reads are not re-hashed with SHA-1: every rebuilt state is checked against its SHA-256
        // state hash instead, and `git fsck` checks objects. (Rebuilds were 12 % SHA-1 otherwise.)
        _ = elder_git_set_strict_hash_verification(0)
        return true
    }()

    /// Makes libgit2 fsync objects and refs it writes (durability against power loss; slower).
    public static func setFsync(_ enabled: Bool) {
        ensureInitialized()
        _ = elder_git_set_fsync(enabled ? 1 : 0)
    }

    static func ensureInitialized() { _ = initialized }
}

/// Turns a libgit2 return code into a `GitError` naming `operation`; reads `git_error_last()` at once.
func gitCheck(_ rc: Int32, _ operation: @autoclosure () -> String) throws {
    if rc >= 0 { return }
    var message = "no details from libgit2"
    var klass: Int32 = 0
    if let last = git_error_last() {
        klass = last.pointee.klass
        if let text = last.pointee.message { message = String(cString: text) }
    }
    throw GitError(operation: operation(), code: GitError.Code(rawValue: rc), errorClass: klass, message: message)
}
