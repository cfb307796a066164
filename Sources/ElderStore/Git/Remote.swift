import CLibGit2
import Foundation

/// A named remote of a repository (owns one `git_remote *`): fetch and push over any transport
/// libgit2 supports (local paths, file://, ssh, https).
public final class Remote: @unchecked Sendable {
    let handle: OpaquePointer

    private init(handle: OpaquePointer) { self.handle = handle }
    deinit { git_remote_free(handle) }

    public static func lookup(_ name: String, in repository: Repository) throws -> Remote {
        var out: OpaquePointer?
        try gitCheck(git_remote_lookup(&out, repository.handle, name), "look up remote \(name)")
        return Remote(handle: out!)
    }

    /// Adds remote `name` with the default fetch refspec.
    public static func create(_ name: String, url: String, in repository: Repository) throws -> Remote {
        var out: OpaquePointer?
        try gitCheck(git_remote_create(&out, repository.handle, name, url), "create remote \(name)")
        return Remote(handle: out!)
    }

    public var name: String { git_remote_name(handle).map { String(cString: $0) } ?? "" }
    public var url: String { git_remote_url(handle).map { String(cString: $0) } ?? "" }

    /// Fetches with the remote's configured refspecs, or `refspecs` when given.
    public func fetch(refspecs: [String] = []) throws {
        var options = git_fetch_options()
        try gitCheck(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), "fetch options")
        try withStringArray(refspecs) { array in
            try gitCheck(git_remote_fetch(handle, refspecs.isEmpty ? nil : array, &options, nil), "fetch from \(name.isEmpty ? url : name)")
        }
    }

    /// A remote for a URL that is not configured in the repository (nothing is written to its config).
    public static func anonymous(url: String, in repository: Repository) throws -> Remote {
        var out: OpaquePointer?
        try gitCheck(git_remote_create_anonymous(&out, repository.handle, url), "open remote \(url)")
        return Remote(handle: out!)
    }

    /// Pushes `refspecs` (e.g. `refs/heads/main:refs/heads/main`). A non-forced refspec that is not a
    /// fast-forward of the remote's ref fails with `nonFastForward` before anything is sent (libgit2
    /// checks it; a remote tip this repository lacks counts as not a fast-forward). A ref the remote
    /// refuses fails with the remote's reason.
    public func push(refspecs: [String]) throws {
        var options = git_push_options()
        try gitCheck(git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)), "push options")
        let statuses = PushStatuses()
        let box = Unmanaged.passRetained(statuses)
        defer { box.release() }
        options.callbacks.payload = box.toOpaque()
        options.callbacks.push_update_reference = { refname, status, payload in
            guard let payload, let status else { return 0 }
            let statuses = Unmanaged<PushStatuses>.fromOpaque(payload).takeUnretainedValue()
            statuses.rejected.append((refname.map { String(cString: $0) } ?? "?", String(cString: status)))
            return 0
        }
        try withStringArray(refspecs) { array in
            try gitCheck(git_remote_push(handle, array, &options), "push to \(name.isEmpty ? url : name)")
        }
        if let (ref, reason) = statuses.rejected.first {
            let code: GitError.Code = reason.contains("fast-forward") || reason.contains("fetch first") ? .nonFastForward : .generic
            throw GitError(operation: "push \(ref) to \(name.isEmpty ? url : name)", code: code, errorClass: 0,
                           message: "the remote refused it: \(reason)")
        }
    }
}

/// The refs a push's remote refused (filled by libgit2's `push_update_reference` callback).
private final class PushStatuses {
    var rejected: [(ref: String, reason: String)] = []
}

extension Repository {
    /// Clones `url` into `path` (bare when asked); returns the new repository.
    public static func clone(from url: String, to path: String, bare: Bool) throws -> Repository {
        GitLibrary.ensureInitialized()
        var options = git_clone_options()
        try gitCheck(git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION)), "clone options")
        options.bare = bare ? 1 : 0
        var out: OpaquePointer?
        try gitCheck(git_clone(&out, url, path, &options), "clone \(url) to \(path)")
        return Repository(owning: out!)
    }

    public func remoteNames() throws -> [String] {
        var array = git_strarray()
        try gitCheck(git_remote_list(&array, handle), "list remotes")
        defer { git_strarray_dispose(&array) }
        return (0..<array.count).compactMap { array.strings[$0].map { String(cString: $0) } }
    }
}

/// Runs `body` with a `git_strarray` holding copies of `strings`, freed afterwards.
func withStringArray<R>(_ strings: [String], _ body: (UnsafePointer<git_strarray>) throws -> R) rethrows -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return try pointers.withUnsafeMutableBufferPointer { buf in
        var array = git_strarray(strings: buf.baseAddress, count: strings.count)
        return try withUnsafePointer(to: &array) { try body($0) }
    }
}
