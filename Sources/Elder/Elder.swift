import ElderEditing
import ElderEval
import ElderModel
import ElderStore

/// Elder: the workspace that joins store, model and editor (edit, ask, revert, merge, bisect).
public enum Elder {
    public static let version = "0.1.0"
}
