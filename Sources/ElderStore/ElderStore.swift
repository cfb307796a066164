/// ElderStore: the knowledge repository on libgit2. It stores named tensors and JSON and knows no model.
///
/// - `Git/`: a small, safe Swift face of libgit2 (repository, blobs, trees, commits, refs, tags,
///   revwalk, merge base, notes, remotes); every libgit2 handle is owned by one final class.
/// - `Format/`: tensors, the value grid, the tensor-pack codec, compaction and the state hash.
/// - `Store/`: `KnowledgeStore` — commit one edit per commit, rebuild any version exactly.
/// The on-disk format is specified in FORMAT.md next to this file.
public enum ElderStoreInfo {
    public static let moduleName = "ElderStore"
    /// The newest knowledge-repo format (elder.json's `format`) this build reads and writes; it reads 1 to 3.
    public static let formatVersion = RepoFormat.groupedKeyframeFormat
}
