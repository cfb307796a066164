/// Elder: the workspace that joins store, model and editor (edit, ask, revert, log). See `Workspace`.
public enum Elder {
    public static let version = "0.1.0"
}
