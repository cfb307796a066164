/// ElderStore: the knowledge repository on libgit2. It stores named tensors and JSON and knows no model.
public enum ElderStoreInfo {
    public static let moduleName = "ElderStore"
}
