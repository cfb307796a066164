import ElderRecords
/// What the lifelong benchmark needs from an editing method (ELDER, a baseline, an ablation): apply
/// edits one at a time, and answer as the edited model does now.
public protocol LifelongEditor: AnyObject {
    /// Trains one more edit into the model; the editor keeps its state between calls.
    func apply(_ edit: EditRecord) throws
    /// The edited model as it is now.
    var scorer: TeacherForcedScorer { get }
    /// Scalars in the editing state now, if the editor has one (reported with the results).
    var parameterCount: Int? { get }
    /// The edited model generating greedily, for the fluency of its answers (nil: not measured).
    var generator: GreedyGenerator? { get }
}

extension LifelongEditor {
    public var parameterCount: Int? { nil }
    public var generator: GreedyGenerator? { nil }
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

    /// At most `count` of `items`, evenly spread (all of them when there are no more).
    static func spreadSample<T>(_ items: [T], count: Int) -> [T] {
        guard count < items.count else { return items }
        return (0..<count).map { items[$0 * items.count / count] }
    }

    func checkpointSet(editCount: Int) -> [Int] {
        Array(Set(checkpoints.filter { $0 >= 1 && $0 <= editCount } + [editCount])).sorted()
    }

    /// The protocol record that goes with this run's results.
    public func evaluationProtocol(editCount: Int, editSet: String, editSetDigest: String? = nil,
                                   trainingParaphrases: Int? = nil) -> EvaluationProtocol {
        EvaluationProtocol(editCount: editCount, editSet: editSet, checkpoints: checkpointSet(editCount: editCount),
                           afterEachEdit: afterEachEdit, editSetDigest: editSetDigest, trainingParaphrases: trainingParaphrases)
    }

    /// Runs `editor` over `edits` and returns its curve and median seconds per edit.
    /// `progress(t, T)` is called after each edit.
    public func run(method name: String, edits: [EditRecord], editor: LifelongEditor, base: TeacherForcedScorer,
                    encoder: TextEncoder, progress: ((Int, Int) -> Void)? = nil) throws -> MethodResult {
        var hooks = LifelongRunHooks()
        if let progress { hooks.afterEdit = { state in progress(state.editsApplied, edits.count) } }
        return try run(method: name, edits: edits, editor: editor, base: base, encoder: encoder, hooks: hooks)
    }

    /// Runs `editor` over `edits`, from the start or from `hooks.resume` (then `editor` must already hold the
    /// state after `hooks.resume.editsApplied` edits), saving the run's state through `hooks.checkpoint` every
    /// `hooks.checkpointEvery` edits, at each curve checkpoint and after the last edit. Editing is
    /// deterministic, so a resumed run ends with the same scores as an uninterrupted one.
    public func run(method name: String, edits: [EditRecord], editor: LifelongEditor, base: TeacherForcedScorer,
                    encoder: TextEncoder, hooks: LifelongRunHooks) throws -> MethodResult {
        guard !edits.isEmpty else { throw MetricError(description: "the edit set is empty; pass at least one edit") }
        var state: LifelongRunState
        if let resume = hooks.resume {
            guard resume.editsApplied <= edits.count, resume.seconds.count == resume.editsApplied else {
                throw MetricError(description: "the saved run has \(resume.editsApplied) of \(edits.count) edits applied "
                                  + "and \(resume.seconds.count) timings; it does not belong to this edit set")
            }
            state = resume
        } else {
            var baseline = hooks.baseline
            try baseline.measure(edits.flatMap(\.probes), base: base, encoder: encoder)
            state = LifelongRunState(baseline: baseline)
        }
        let evaluator = EditEvaluator(encoder: encoder)
        let stops = Set(checkpointSet(editCount: edits.count))
        let clock = ContinuousClock()
        let sessionStart = clock.now
        let elapsedBefore = state.elapsedSeconds
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        for index in state.editsApplied..<edits.count {
            let edit = edits[index]
            let elapsed = try clock.measure { try editor.apply(edit) }
            state.seconds.append(seconds(elapsed))
            if afterEachEdit {
                state.curve.recordImmediate(try evaluator.score(edit, model: editor.scorer, baseline: state.baseline,
                                                                siblings: Array(edits[..<index])))
            }
            let applied = index + 1
            state.editsApplied = applied
            if stops.contains(applied) {
                let made = Array(edits[..<applied])
                let scores = try made.map { try evaluator.score($0, model: editor.scorer, baseline: state.baseline, siblings: made) }
                try state.curve.record(editsApplied: applied, scores: scores)
                if applied == edits.count, hooks.fluencyEdits > 0, let edited = editor.generator, let base = hooks.baseGenerator {
                    let sample = LifelongRun.spreadSample(made, count: hooks.fluencyEdits)
                    state.curve.recordFluency(FluencyScore(try FluencyEvaluator(encoder: encoder).checks(sample, edited: edited, base: base)))
                }
            }
            state.elapsedSeconds = elapsedBefore + seconds(clock.now - sessionStart)
            state.peakResidentBytes = max(state.peakResidentBytes, ResourceUsage.peakResidentBytes())
            let every = hooks.checkpointEvery > 0 && applied % hooks.checkpointEvery == 0
            if let save = hooks.checkpoint, every || stops.contains(applied) { try save(state) }
            try hooks.afterEdit?(state)
        }
        state.peakResidentBytes = max(state.peakResidentBytes, ResourceUsage.peakResidentBytes())
        var result = MethodResult(name: name, curve: state.curve, secondsPerEdit: median(state.seconds))
        result.totalEditSeconds = state.seconds.reduce(0, +)
        result.parameterCount = editor.parameterCount
        result.peakResidentBytes = state.peakResidentBytes
        return result
    }
}

/// Where a lifelong run starts and what it does between edits (all optional).
public struct LifelongRunHooks {
    /// A saved state to continue from.
    public var resume: LifelongRunState?
    /// Base-model probe answers measured before (e.g. by another method's run on the same model); a fresh
    /// run measures only the probes it lacks. Ignored when resuming (the state holds its own).
    public var baseline: ProbeBaseline
    /// Save every this many edits (0: only at curve checkpoints and the end).
    public var checkpointEvery: Int
    /// Saves the state (with the editor's own state, which the caller holds).
    public var checkpoint: ((LifelongRunState) throws -> Void)?
    /// Called after each edit (and after any checkpoint), e.g. to write a progress file.
    public var afterEdit: ((LifelongRunState) throws -> Void)?
    /// The base model generating greedily: with the editor's generator, the fluency of the edited answers
    /// is measured after the last edit, on at most `fluencyEdits` edits spread over the stream (greedy
    /// generation costs ~20 forward passes per prompt; 0: not measured).
    public var baseGenerator: GreedyGenerator?
    public var fluencyEdits = Int.max

    public init(resume: LifelongRunState? = nil, baseline: ProbeBaseline = ProbeBaseline(), checkpointEvery: Int = 0,
                checkpoint: ((LifelongRunState) throws -> Void)? = nil, afterEdit: ((LifelongRunState) throws -> Void)? = nil) {
        self.resume = resume
        self.baseline = baseline
        self.checkpointEvery = checkpointEvery
        self.checkpoint = checkpoint
        self.afterEdit = afterEdit
    }
}

/// A lifelong run between two edits, everything but the editor: how far it got, the scores so far, each
/// edit's training time, the base model's probe answers, and the time and memory it has used.
public struct LifelongRunState: Equatable, Codable, Sendable {
    public var editsApplied: Int = 0
    public var curve = LifelongCurve()
    /// Seconds to apply each edit so far (training only).
    public var seconds: [Double] = []
    public var baseline: ProbeBaseline
    /// Wall-clock seconds of all sessions so far (editing and scoring).
    public var elapsedSeconds: Double = 0
    public var peakResidentBytes: Int = 0

    public init(baseline: ProbeBaseline) { self.baseline = baseline }
}
