/// ElderEval: edit records and edit files, the edit-set builder, metrics, the lifelong benchmark's
/// reports and plots. It knows no model: the benchmark supplies one through `TeacherForcedScorer`.
public enum ElderEvalInfo {
    public static let moduleName = "ElderEval"
}
