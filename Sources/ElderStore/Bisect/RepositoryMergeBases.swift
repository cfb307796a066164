import CLibGit2

extension Repository {
    /// Every merge base of `one` against `others` together (git's `get_merge_bases_many`: the best
    /// common ancestors of `one` and any of `others`), in libgit2's order; empty when there is none.
    public func mergeBases(of one: ObjectID, with others: [ObjectID]) throws -> [ObjectID] {
        let input = ([one] + others).map(\.raw)
        var out = git_oidarray()
        let rc = input.withUnsafeBufferPointer { git_merge_bases_many(&out, handle, $0.count, $0.baseAddress) }
        if rc == GIT_ENOTFOUND.rawValue { return [] }
        try gitCheck(rc, "merge bases of \(one.short) and \(others.count) commits")
        defer { git_oidarray_dispose(&out) }
        return (0..<out.count).map { ObjectID(out.ids[$0]) }
    }
}
