/// How a lifelong-editing result was measured. Every result carries it, because the field reports
/// numbers under different protocols (after all T edits vs right after each edit).
public struct EvaluationProtocol: Equatable, Codable, Sendable {
    /// T: how many edits were applied, in file order, one at a time.
    public var editCount: Int
    /// The edit file (e.g. "Samples/edits/wikidata-1000.jsonl").
    public var editSet: String
    /// Numbers of edits after which the whole curve was measured (on all edits made so far).
    public var checkpoints: [Int]
    /// Whether each edit was also scored right after it was made.
    public var afterEachEdit: Bool
    /// A fingerprint of the T edits themselves (`EditRecord.digest`), so runs on different edits are not
    /// compared by mistake; nil in reports written before it existed.
    public var editSetDigest: String?
    /// Each edit was trained on its prompt and at most this many of its file's paraphrases (0: the prompt
    /// alone); nil: on every paraphrase the file gives.
    public var trainingParaphrases: Int?

    public init(editCount: Int, editSet: String, checkpoints: [Int], afterEachEdit: Bool, editSetDigest: String? = nil,
                trainingParaphrases: Int? = nil) {
        self.editCount = editCount
        self.editSet = editSet
        self.checkpoints = checkpoints
        self.afterEachEdit = afterEachEdit
        self.editSetDigest = editSetDigest
        self.trainingParaphrases = trainingParaphrases
    }

    /// The protocol in words, printed with every table of results.
    public var description: String {
        let fingerprint = editSetDigest.map { " (fingerprint \($0))" } ?? ""
        var text = "Sequential editing: T = \(editCount) edits from \(editSet)\(fingerprint), applied one at a time in file order "
            + "with no re-training of earlier edits. Scores are teacher-forced: the prompt and the answer's earlier "
            + "tokens are given, and the model's argmax at each answer position is compared with the reference token. "
            + "Reliability: edit prompts vs their targets. Generalization: held-out paraphrases (never trained on) vs "
            + "their edits' targets. Locality: each edit's unrelated probes vs the base model's own argmax at the same "
            + "positions. Token accuracy = mean over examples of the fraction of answer tokens right; exact match = "
            + "fraction of examples with every answer token right. Final = all T edits applied, every edit scored."
        switch trainingParaphrases {
        case nil: text += " Training: each edit's prompt and the paraphrases its record gives."
        case 0?: text += " Training: each edit's prompt alone, no paraphrase (as a person types an edit)."
        case let n?: text += " Training: each edit's prompt and at most \(n) of its record's paraphrases."
        }
        if !checkpoints.isEmpty {
            text += " Curve: after \(checkpoints.map(String.init).joined(separator: ", ")) edits, all edits made so far scored."
        }
        if afterEachEdit {
            text += " After each edit: every edit scored right after it was made, then averaged."
        }
        return text
    }
}

/// One method's lifelong run (ELDER, a baseline, an ablation).
public struct MethodResult: Equatable, Codable, Sendable {
    /// What the report calls it: the method, or a variant's label (e.g. "elder-paper-hard").
    public var name: String
    public var curve: LifelongCurve
    /// Median seconds to apply one edit, if measured.
    public var secondsPerEdit: Double?
    public var notes: String?
    /// The editing method run (`EditorConfiguration.Method`'s name) and its `--set` changes, when known.
    public var method: String?
    public var settings: [String: String]?
    /// The whole configuration that ran, in the `--set` vocabulary (`EditorConfiguration.settings`), when known.
    public var configuration: [String: String]?
    /// Seconds spent applying all T edits (training only, scoring excluded).
    public var totalEditSeconds: Double?
    /// Scalars in the editor's adapter state after the last edit (GRACE's grows with the edits).
    public var parameterCount: Int?
    /// Peak resident memory of the process (getrusage's maxrss; the largest over resumed sessions).
    public var peakResidentBytes: Int?

    public init(name: String, curve: LifelongCurve, secondsPerEdit: Double? = nil, notes: String? = nil) {
        self.name = name
        self.curve = curve
        self.secondsPerEdit = secondsPerEdit
        self.notes = notes
    }
}

/// The report of a lifelong-editing benchmark: protocol, environment, and each method's results,
/// rendered as Markdown (printed and saved), JSON (for tools) and an SVG plot of the curves.
public struct LifelongReport: Equatable, Sendable {
    public var title: String
    public var evaluationProtocol: EvaluationProtocol
    /// Ordered facts about the run: model, cores, OpenBLAS threads, date.
    public var environment: [(String, String)]
    public var methods: [MethodResult]

    public init(title: String, evaluationProtocol: EvaluationProtocol, environment: [(String, String)],
                methods: [MethodResult]) {
        self.title = title
        self.evaluationProtocol = evaluationProtocol
        self.environment = environment
        self.methods = methods
    }

    public static func == (lhs: LifelongReport, rhs: LifelongReport) -> Bool {
        lhs.title == rhs.title && lhs.evaluationProtocol == rhs.evaluationProtocol && lhs.methods == rhs.methods
            && lhs.environment.map { [$0.0, $0.1] } == rhs.environment.map { [$0.0, $0.1] }
    }
}
