/// What an editor remembers of each live edit beside its tensors: the allocation it owns, the deferral
/// keys or codes of its prompts, and the token rows it trained on (for replay). Plus the reference
/// ("background") keys and the query centre, fixed when the repo is created.
public struct EditMemory: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var id: String
        public var allocation: Allocation
        /// Centred query keys of the prompt and training paraphrases (similarity deferral).
        public var keys: [[Float]]
        /// Allocation codes of the prompt and training paraphrases (Hamming deferral).
        public var codes: [AllocationCode]
        /// Training rows: prompt tokens + target tokens, with the prompt length.
        public var rows: [[Int]]
        public var promptLengths: [Int]
    }

    /// Live edits in the order they were made.
    public var entries: [Entry] = []
    /// Mean query of the reference prompts (subtracted when the query is centred).
    public var centre: [Float] = []
    /// Per-dimension 1/spread of the reference queries (empty unless the query is standardized).
    public var scale: [Float] = []
    /// Whitening of the centred query, D×D row-major lower triangular (empty unless the query is whitened).
    public var projection: [Float] = []
    /// Centred keys of the reference prompts, which belong to no edit.
    public var backgroundKeys: [[Float]] = []

    public init() {}

    public func entry(_ id: String) -> Entry? { entries.first { $0.id == id } }
}
