import ElderEditing
import ElderModel

/// ElderEval: edit-set builder, metrics, the lifelong benchmark and its reports.
public enum ElderEvalInfo {
    public static let moduleName = "ElderEval"
}
