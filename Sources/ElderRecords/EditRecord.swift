/// One knowledge edit: the prompt, the answer the model should give, and the texts that test it.
///
/// This is the record of an edit file (one JSON object per line, see Samples/edits/FORMAT.md) and of
/// the edit-set builder. `target` keeps its leading space (" Lyon"): the model continues the prompt.
public struct EditRecord: Equatable, Hashable, Sendable {
    /// A stable name for the edit, unique within a file ("wikidata-4711"); optional in hand-written files.
    public var id: String?
    /// The text the model completes ("The CEO of Acme is").
    public var prompt: String
    /// The completion the edit teaches, with its leading space (" Jane Doe").
    public var target: String
    /// Rephrasings of `prompt` used for training.
    public var paraphrases: [String]
    /// Rephrasings never trained on, used to measure generalization.
    public var heldout: [String]
    /// Unrelated prompts whose answers must not change (locality).
    public var probes: [Probe]
    /// A human message for the commit that records the edit.
    public var message: String?
    /// The entity the fact is about ("Acme"), when known.
    public var subject: String?
    /// The relation of the fact ("country of citizenship of"), when known.
    public var relation: String?
    /// The answer the edit replaces, with its leading space, when known (counterfactual edits).
    public var trueTarget: String?

    public init(id: String? = nil, prompt: String, target: String, paraphrases: [String] = [],
                heldout: [String] = [], probes: [Probe] = [], message: String? = nil,
                subject: String? = nil, relation: String? = nil, trueTarget: String? = nil) {
        self.id = id
        self.prompt = prompt
        self.target = target
        self.paraphrases = paraphrases
        self.heldout = heldout
        self.probes = probes
        self.message = message
        self.subject = subject
        self.relation = relation
        self.trueTarget = trueTarget
    }
}

/// A locality probe: a prompt unrelated to the edit whose answer must stay what the base model says.
///
/// `expected` is the base model's own answer (filled in by the benchmark; empty when built from data);
/// `datasetAnswer` is the data set's answer, kept for reference and as a teacher-forcing fallback.
/// Both keep their leading space.
public struct Probe: Equatable, Hashable, Sendable {
    public var prompt: String
    public var expected: String?
    public var datasetAnswer: String?

    public init(prompt: String, expected: String? = nil, datasetAnswer: String? = nil) {
        self.prompt = prompt
        self.expected = expected
        self.datasetAnswer = datasetAnswer
    }

    /// The continuation scored under teacher forcing: the base model's answer if known, else the data's.
    public var continuation: String? {
        if let expected, !expected.isEmpty { return expected }
        if let datasetAnswer, !datasetAnswer.isEmpty { return datasetAnswer }
        return nil
    }
}
