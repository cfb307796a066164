/// ElderEval: the edit-set builder (counterfactual edits from Wikidata facts), metrics, the lifelong benchmark's
/// reports and plots. It knows no model: the benchmark supplies one through `TeacherForcedScorer`.
public enum ElderEvalInfo {
    public static let moduleName = "ElderEval"
}
