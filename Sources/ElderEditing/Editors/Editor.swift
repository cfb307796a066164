import ElderModel
import ElderTensor

/// A correction to train in: `prompt` should continue with `target` (which keeps its leading space,
/// e.g. " Lyon"); `paraphrases` say the same prompt in other words and are trained on too.
public struct EditRequest: Sendable, Equatable {
    public var id: String
    public var prompt: String
    public var target: String
    public var paraphrases: [String]
    /// What the allocation is keyed by when `allocationKey` is `.label` (defaults to the target).
    public var label: String?

    public init(id: String, prompt: String, target: String, paraphrases: [String] = [], label: String? = nil) {
        self.id = id
        self.prompt = prompt
        self.target = target
        self.paraphrases = paraphrases
        self.label = label
    }
}

/// What training one edit did.
public struct EditOutcome: Sendable, Equatable, Codable {
    public var editID: String
    /// Training steps run (fewer than configured when early stopping hit).
    public var iterations: Int
    public var initialLoss: Float
    public var finalLoss: Float
    /// Every training row's target tokens were the argmax at the last step.
    public var converged: Bool
    /// The adapter tensors this edit changed (names).
    public var changedTensors: [String]
}

/// Why an input was (or was not) sent through the adapter, for `elder ask` to show.
public struct RoutingExplanation: Sendable, Equatable, Codable {
    public struct LayerChoice: Sendable, Equatable, Codable {
        public var layer: Int
        public var experts: [Int]
        public var weights: [Float]
    }
    /// The adapter acts on this input.
    public var fired: Bool
    /// The edit the deferral matched, if any.
    public var matchedEdit: String?
    /// Hamming deferral: distance to the nearest stored code and the threshold ε.
    public var hammingDistance: Int?
    public var epsilon: Int?
    /// Similarity deferral: best similarity, margin over the runner-up, and the required margin.
    public var similarity: Float?
    public var margin: Float?
    public var requiredMargin: Float?
    /// Similarity deferral, each part of the rule: best similarity of another edit's key (nil: no other
    /// edit) and of a reference prompt's key (nil: none), the lead over the reference required, and the
    /// minimum similarity. `margin` above is over the nearer of the two.
    public var otherEditSimilarity: Float?
    public var referenceSimilarity: Float?
    public var requiredReferenceMargin: Float?
    public var minimumSimilarity: Float?
    /// Similarity at or above which the matched edit fires whatever the margins (nil: no such rule).
    public var exactMatchSimilarity: Float?
    /// Similarity deferral with the sibling margin: the matched edit's siblings (edits about the same
    /// subject), which the margin leaves out; nil when the margin is over every other edit.
    public var siblingEdits: [String]?
    /// The LoRAs each adapted layer uses (empty when not fired).
    public var layers: [LayerChoice]
}

/// Every editing method behind one face: train an edit into the state, forget one, and route an input.
/// The state is plain named tensors plus an `EditMemory`, so the store can save and rebuild it.
public protocol Editor: AnyObject {
    var configuration: EditorConfiguration { get }
    /// The trainable tensors.
    var adapter: AdapterState { get set }
    /// Per-edit memory: allocations, deferral keys and codes, replay rows.
    var memory: EditMemory { get set }
    /// Trains `request` into `adapter` and records it in `memory`.
    func edit(_ request: EditRequest) throws -> EditOutcome
    /// Removes an edit from the memory (its tensor changes are undone by the caller, e.g. a revert commit).
    func forget(editID: String)
    /// The routing decision for a prompt's query vector (raw, as `FrozenPass` computes it).
    func route(query: [Float]) -> RoutingExplanation
    /// Adds the adapter's output for `routing` into the frozen `down_proj` output of block `layer`,
    /// for rows `fromRow...` of v [T, F] (earlier rows keep the base output).
    func adapt(layer: Int, v: Tensor, frozen: Tensor, routing: RoutingExplanation, fromRow: Int) -> Tensor
    /// The answer tokens edit `editID` was trained to give after its prompt, when the editor keeps them:
    /// generation stops the adapter once they are out (`EditedModel`). nil: the adapter acts on every token.
    func taughtAnswer(editID: String) -> [Int]?
    /// The routing that sends an input through edit `editID`'s own LoRAs whatever the deferral says (to tell
    /// a deferral that missed from an adapter that does not carry over); nil when the editor cannot.
    func routing(toEdit editID: String) -> RoutingExplanation?
}

extension Editor {
    public func routing(toEdit editID: String) -> RoutingExplanation? { nil }

    public func taughtAnswer(editID: String) -> [Int]? {
        guard let entry = memory.entry(editID), let row = entry.rows.first, let length = entry.promptLengths.first,
              length < row.count else { return nil }
        return Array(row[length...])
    }
}

/// Errors an edit can meet, each saying what to do.
public enum EditError: Error, CustomStringConvertible, Sendable {
    case emptyPrompt
    case emptyTarget(prompt: String)
    case duplicateEdit(id: String)
    case promptTooLong(tokens: Int, limit: Int)

    public var description: String {
        switch self {
        case .emptyPrompt: return "the edit's prompt is empty: give the text the model should complete"
        case .emptyTarget(let p): return "the edit of \"\(p)\" has an empty target: give the answer to train, e.g. \" Paris\""
        case .duplicateEdit(let id): return "an edit with id \(id) is already live: revert it first or use another id"
        case .promptTooLong(let n, let limit): return "the prompt has \(n) tokens; at most \(limit) fit: shorten it"
        }
    }
}
