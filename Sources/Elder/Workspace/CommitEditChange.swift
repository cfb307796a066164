import ElderStore

/// What an edit commit does to the live edits, read from its trailers: the edits it makes live and the
/// edits it takes out. A revert of the commit does the opposite.
struct CommitEditChange {
    /// `Elder-Edit`, and `Restored-Edit` of a revert that put an edit back.
    var made: [String]
    /// `Reverted-Edit` of a revert, and `Supersedes` of an edit that replaced same-prompt edits.
    var removed: [String]

    init(_ info: CommitInfo) {
        func ids(_ key: String) -> [String] { (info.trailers[key] ?? "").split(separator: " ").map(String.init) }
        made = [info.editID].compactMap { $0 } + ids(RevertTrailers.restored)
        removed = ids(RevertTrailers.reverted) + ids(SupersedeTrailers.supersedes)
    }
}
