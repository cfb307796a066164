/// What an editor remembers of each live edit beside its tensors: the allocation it owns, the deferral
/// keys or codes of its prompts, and the token rows it trained on (for replay). Plus the reference
/// ("background") keys and the query centre, fixed when the repo is created.
public struct EditMemory: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var id: String
        public var allocation: Allocation
        /// The keys as stored: 16-bit fixed point, the only copy (the editor's `KeyIndex` shares this
        /// array rather than copying it).
        public private(set) var storedKeys: QuantizedKeys
        /// Allocation codes of the prompt and training paraphrases (Hamming deferral).
        public var codes: [AllocationCode]
        /// Training rows: prompt tokens + target tokens, with the prompt length.
        public var rows: [[Int]]
        public var promptLengths: [Int]

        /// Centred query keys of the prompt and training paraphrases (similarity deferral), as floats.
        /// Setting quantizes them (see `QuantizedKeys`: at most 2⁻¹⁵ of a key's largest value away), and
        /// reading gives the stored values exactly.
        public var keys: [[Float]] {
            get { storedKeys.keys }
            set { storedKeys = QuantizedKeys(newValue) }
        }

        public init(id: String, allocation: Allocation, keys: [[Float]], codes: [AllocationCode], rows: [[Int]],
                    promptLengths: [Int]) {
            self.id = id
            self.allocation = allocation
            self.storedKeys = QuantizedKeys(keys)
            self.codes = codes
            self.rows = rows
            self.promptLengths = promptLengths
        }

        /// Training row `row` as a sequence to train on again (replay).
        func sequence(row: Int) -> TrainingSequence {
            TrainingSequence(prompt: Array(rows[row].prefix(promptLengths[row])),
                             target: Array(rows[row].dropFirst(promptLengths[row])), editID: id)
        }

        // Coded with the keys as float arrays, as before they were quantized (so old JSON still reads).
        enum CodingKeys: String, CodingKey { case id, allocation, keys, codes, rows, promptLengths }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let keys = try c.decode([[Float]].self, forKey: .keys)
            guard keys.allSatisfy({ $0.count == keys.first?.count }) else {
                throw DecodingError.dataCorruptedError(forKey: .keys, in: c, debugDescription: "keys of different widths")
            }
            self.init(id: try c.decode(String.self, forKey: .id), allocation: try c.decode(Allocation.self, forKey: .allocation),
                      keys: keys, codes: try c.decode([AllocationCode].self, forKey: .codes),
                      rows: try c.decode([[Int]].self, forKey: .rows), promptLengths: try c.decode([Int].self, forKey: .promptLengths))
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(allocation, forKey: .allocation)
            try c.encode(keys, forKey: .keys)
            try c.encode(codes, forKey: .codes)
            try c.encode(rows, forKey: .rows)
            try c.encode(promptLengths, forKey: .promptLengths)
        }
    }

    /// Live edits in the order they were made.
    public var entries: [Entry] = []
    /// Mean query of the reference prompts (subtracted when the query is centred).
    public var centre: [Float] = []
    /// Per-dimension 1/spread of the reference queries (empty unless the query is standardized).
    public var scale: [Float] = []
    /// Whitening of the centred query, D×D row-major lower triangular (empty unless the query is whitened).
    public var projection: [Float] = []
    /// Centred keys of the reference prompts, which belong to no edit (float32: a few hundred at most).
    public var backgroundKeys: [[Float]] = []

    public init() {}

    public func entry(_ id: String) -> Entry? { entries.first { $0.id == id } }

    /// Bytes held in memory (keys, codes, training rows, the reference data), for cache accounting.
    public var byteCount: Int {
        let floats = centre.count + scale.count + projection.count + backgroundKeys.reduce(0) { $0 + $1.count }
        let perEntry = entries.reduce(0) { total, e in
            total + e.storedKeys.byteCount + e.codes.reduce(0) { $0 + $1.words.count * MemoryLayout<UInt64>.size }
                + e.rows.reduce(0) { $0 + $1.count } * MemoryLayout<Int>.size
        }
        return floats * MemoryLayout<Float>.size + perEntry
    }
}
