import Foundation

extension KnowledgeStore {
    /// The workspace section of `elder.json` as a commit holds it (sorted-key JSON, comparable with
    /// `workspaceConfigJSON`, which is read from HEAD): a commit fetched from elsewhere may belong to a
    /// repo of another model.
    public func workspaceConfigJSON(at commit: ObjectID) throws -> [UInt8] {
        let tree = try Commit.lookup(commit, in: repository).tree()
        guard let entry = tree.entry(named: RepoFormat.elderJSON), entry.kind == .blob else {
            throw StoreError.corrupt(what: "commit \(commit.short)", reason: "no \(RepoFormat.elderJSON)")
        }
        let (_, workspace) = try RepoFormat.parseElderJSON(try repository.readVerifiedBlob(entry.id, maxBytes: RepoFormat.maxJSONBytes))
        return Array(try JSONSerialization.data(withJSONObject: workspace, options: [.sortedKeys]))
    }
}
