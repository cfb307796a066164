import ElderEditing
import ElderModel

/// `elder-export.json`: what an export folder holds and the exact settings of the rule that applies it
/// (README.md in the export states the rule; `rule` gives its numbers).
public struct ExportManifest: Codable, Sendable {
    /// The routing rule's settings, as README.md names them (all from `editor`, gathered in one place).
    public struct Rule: Codable, Sendable, Equatable {
        /// `residual` (the hidden state after block `queryBlock`) or `down-proj-input`.
        public var querySource: String
        /// 0-based block whose output the query reads.
        public var queryBlock: Int
        /// `mean` over the prompt's tokens or `last-token`.
        public var queryPooling: String
        public var centred: Bool
        public var standardized: Bool
        /// γ of the whitening fit (the fitted projection is in routing.safetensors); nil: not whitened.
        public var whitening: Float?
        /// `similarity-margin` (Elder's) or `hamming` (the paper's).
        public var deferral: String
        public var margin: Float?
        public var referenceMargin: Float?
        public var minimumSimilarity: Float?
        public var exactMatchSimilarity: Float?
        /// The margin leaves out the matched edit's siblings (`Edit.siblings`).
        public var siblingMargin: Bool
        public var hammingEpsilon: Int?
        /// `matched-allocation` (the matched edit's own LoRAs, weight 1) or `router-top-k`.
        public var routing: String
        /// `from-last-prompt-token` or `whole-sequence`.
        public var adapterSpan: String
        /// The adapter stops once the matched edit's `answerTokens` are generated.
        public var stopAfterAnswer: Bool
        /// The blocks whose `mlp.down_proj` carries the adapter, and α/r of every LoRA.
        public var layers: [Int]
        public var scaling: Float

        init(_ c: EditorConfiguration) {
            querySource = c.query.source.rawValue
            queryBlock = c.query.layer
            queryPooling = c.query.pooling.rawValue
            centred = c.query.centred
            standardized = c.query.standardized
            whitening = c.query.whitening
            switch c.deferral {
            case let .similarityMargin(margin, referenceMargin, minimum):
                deferral = "similarity-margin"
                self.margin = margin
                self.referenceMargin = referenceMargin
                minimumSimilarity = minimum
                exactMatchSimilarity = c.exactMatch
            case let .hamming(epsilon):
                deferral = "hamming"
                hammingEpsilon = epsilon
            }
            siblingMargin = c.siblingMargin == true
            routing = c.inferenceRouting.rawValue
            adapterSpan = c.adapterSpan.rawValue
            stopAfterAnswer = c.stopAfterAnswer != false
            layers = c.layers
            scaling = c.scaling
        }
    }
    public struct Tokenization: Codable, Sendable, Equatable {
        /// The model puts its BOS token before a prompt's tokens.
        public var addsBOS: Bool
        /// Generation stops before any of these (end of text, end of turn).
        public var stopTokens: [Int]
    }
    public struct TensorFile: Codable, Sendable, Equatable {
        public var path: String
        public var tensors: [String]
    }
    /// One live edit, in the memory's order (ties between equal similarities go to the later edit).
    public struct Edit: Codable, Sendable, Equatable {
        public var id: String
        public var prompt: String
        public var target: String
        /// The target's tokens as trained: the adapter stops once exactly these are generated.
        public var answerTokens: [Int]
        /// Its experts per adapted block (in `rule.layers` order).
        public var allocation: [[Int]]
        /// Its keys in routing.safetensors.
        public var keys: String?
        /// Its PEFT adapter folder.
        public var adapter: String?
        /// Edits the sibling margin leaves out of this edit's competitors (nil unless `rule.siblingMargin`).
        public var siblings: [String]?
        /// Hamming deferral only: the allocation codes of its prompts.
        public var codes: [AllocationCode]?

        init(id: String, prompt: String, target: String, answerTokens: [Int], allocation: [[Int]]) {
            self.id = id
            self.prompt = prompt
            self.target = target
            self.answerTokens = answerTokens
            self.allocation = allocation
        }
    }

    public var format = "elder-export"
    public var version = 2
    public var commit: String
    public var stateHash: String
    public var model: ModelIdentity
    /// `base_model_name_or_path` in the PEFT configs: the Hugging Face id of a known model, else the file name.
    public var baseModel: String
    public var tokenizer: Tokenization
    /// Every knob of the editor, as the repo's elder.json has it.
    public var editor: EditorConfiguration
    public var rule: Rule?
    public var routing: TensorFile?
    public var edits: [Edit] = []
    public var experts: TensorFile?
    public var routers: TensorFile?
    public var singleLoRA: String?
    public var other: TensorFile?
    public var readme = AdapterExport.readmeName
    public var loader = AdapterExport.loaderName
    public var howToApply = ""

    init(commit: String, stateHash: String, model: ModelIdentity, baseModel: String, editor: EditorConfiguration,
         tokenizer: Tokenization) {
        self.commit = commit
        self.stateHash = stateHash
        self.model = model
        self.baseModel = baseModel
        self.editor = editor
        self.tokenizer = tokenizer
    }
}
