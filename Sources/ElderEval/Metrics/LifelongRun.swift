/// What the lifelong benchmark needs from an editing method (ELDER, a baseline, an ablation): apply
/// edits one at a time, and answer as the edited model does now.
public protocol LifelongEditor: AnyObject {
    /// Trains one more edit into the model; the editor keeps its state between calls.
    func apply(_ edit: EditRecord) throws
    /// The edited model as it is now.
    var scorer: TeacherForcedScorer { get }
}

/// The sequential-editing protocol: apply T edits in file order; score the edits made so far at each
/// checkpoint (the curve; the last checkpoint is always T, the final score) and, optionally, each
/// edit right after it is made. Locality compares with the base model, measured once before editing.
public struct LifelongRun: Sendable {
    public var checkpoints: [Int]
    public var afterEachEdit: Bool

    /// `checkpoints` are clipped to 1…T, sorted, and T is added if missing.
    public init(checkpoints: [Int], afterEachEdit: Bool) {
        self.checkpoints = checkpoints
        self.afterEachEdit = afterEachEdit
    }

    /// `count` checkpoints spread evenly over 1…T, always ending at T (e.g. 4 of 1000: 250, 500, 750, 1000).
    public static func evenCheckpoints(_ count: Int, editCount: Int) -> [Int] {
        guard editCount > 0 else { return [] }
        let n = max(1, min(count, editCount))
        return Array(Set((1...n).map { ($0 * editCount + n - 1) / n })).sorted()
    }

    func checkpointSet(editCount: Int) -> [Int] {
        Array(Set(checkpoints.filter { $0 >= 1 && $0 <= editCount } + [editCount])).sorted()
    }

    /// The protocol record that goes with this run's results.
    public func evaluationProtocol(editCount: Int, editSet: String) -> EvaluationProtocol {
        EvaluationProtocol(editCount: editCount, editSet: editSet, checkpoints: checkpointSet(editCount: editCount),
                           afterEachEdit: afterEachEdit)
    }

    /// Runs `editor` over `edits` and returns its curve and median seconds per edit.
    /// `baseline` may hold base-model answers measured before (by an earlier run on the same model): only
    /// the probes it lacks are measured. `progress(t, T)` is called after each edit.
    public func run(method name: String, edits: [EditRecord], editor: LifelongEditor, base: TeacherForcedScorer,
                    encoder: TextEncoder, baseline known: ProbeBaseline = ProbeBaseline(),
                    progress: ((Int, Int) -> Void)? = nil) throws -> MethodResult {
        guard !edits.isEmpty else { throw MetricError(description: "the edit set is empty; pass at least one edit") }
        var baseline = known
        try baseline.measure(edits.flatMap(\.probes), base: base, encoder: encoder)
        let evaluator = EditEvaluator(encoder: encoder)
        let stops = Set(checkpointSet(editCount: edits.count))
        var curve = LifelongCurve()
        var seconds: [Double] = []
        let clock = ContinuousClock()
        for (index, edit) in edits.enumerated() {
            let elapsed = try clock.measure { try editor.apply(edit) }
            seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            if afterEachEdit {
                curve.recordImmediate(try evaluator.score(edit, model: editor.scorer, baseline: baseline))
            }
            let applied = index + 1
            if stops.contains(applied) {
                let scores = try edits[..<applied].map { try evaluator.score($0, model: editor.scorer, baseline: baseline) }
                try curve.record(editsApplied: applied, scores: scores)
            }
            progress?(applied, edits.count)
        }
        return MethodResult(name: name, curve: curve, secondsPerEdit: median(seconds))
    }
}

/// The median of a non-empty list (mean of the middle two for an even count); nil when empty.
public func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
