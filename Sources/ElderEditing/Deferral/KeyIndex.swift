import ElderTensor

/// What a query matched in a `KeyIndex`.
public struct KeyMatch: Sendable, Equatable {
    /// The edit with the most similar key, if any edit is stored.
    public var owner: String?
    /// Cosine similarity of that edit's best key.
    public var similarity: Float
    /// The best similarity of any other edit's key or of any reference (background) key.
    public var runnerUp: Float
    /// The best similarity of a reference key alone (-1 when there are none).
    public var background: Float
    /// The best similarity of another edit's key alone (-1 when there is none).
    public var secondEdit: Float = -1

    /// How far the best edit stands out.
    public var margin: Float { similarity - runnerUp }

    /// The similarity deferral's rule (see `EditorConfiguration.Deferral.similarityMargin`).
    /// `exact`: a similarity at which the match fires whatever the margins.
    public func fires(margin: Float, referenceMargin: Float, minimum: Float, exact: Float? = nil) -> Bool {
        guard owner != nil else { return false }
        if let exact, similarity >= exact { return true }
        return similarity - secondEdit >= margin && similarity - background >= referenceMargin && similarity >= minimum
    }
}

/// Elder's deferral memory: unit-length query keys of the live edits (prompt and training paraphrases)
/// beside keys of reference prompts that belong to no edit. An input is in an edit's scope when its query
/// is clearly nearer to that edit than to anything else. Keys sit back to back in one array, so a search is
/// one matrix-vector product over contiguous memory followed by one pass over integer owner numbers
/// (at 100,000 edits, 200,000 keys: see `elder bench deferral --keys`).
public struct KeyIndex: Sendable, Equatable {
    public let dimension: Int
    /// Keys back to back, `dimension` floats each, unit length.
    public private(set) var keys: [Float] = []
    /// The owner number of each key (an index into `ownerNames`); -1 marks a reference key.
    private var ownerNumbers: [Int32] = []
    private var ownerNames: [String] = []
    private var numberOfOwner: [String: Int32] = [:]

    public init(dimension: Int) {
        precondition(dimension > 0, "KeyIndex: dimension must be positive")
        self.dimension = dimension
    }

    /// The edit of each key; nil marks a reference key.
    public var owners: [String?] { ownerNumbers.map { $0 < 0 ? nil : ownerNames[Int($0)] } }
    public var count: Int { ownerNumbers.count }
    public var editKeyCount: Int { ownerNumbers.lazy.filter { $0 >= 0 }.count }

    /// Adds a key (normalized here) for `owner`, or a reference key when `owner` is nil.
    public mutating func insert(_ key: [Float], owner: String?) {
        precondition(key.count == dimension, "KeyIndex: key of \(key.count) values in a \(dimension)-wide index")
        keys.append(contentsOf: unitLength(key))
        guard let owner else { ownerNumbers.append(-1); return }
        if let n = numberOfOwner[owner] {
            ownerNumbers.append(n)
        } else {
            let n = Int32(ownerNames.count)
            ownerNames.append(owner)
            numberOfOwner[owner] = n
            ownerNumbers.append(n)
        }
    }

    /// Removes every key of `owner` (a reverted edit).
    public mutating func remove(owner: String) {
        guard let gone = numberOfOwner[owner] else { return }
        var keptKeys: [Float] = []
        var keptNumbers: [Int32] = []
        keptKeys.reserveCapacity(keys.count)
        for (i, n) in ownerNumbers.enumerated() where n != gone {
            keptKeys.append(contentsOf: keys[(i * dimension)..<((i + 1) * dimension)])
            keptNumbers.append(n)
        }
        keys = keptKeys
        ownerNumbers = keptNumbers
        numberOfOwner[owner] = nil
    }

    /// Cosine similarities of `query` to every key.
    public func similarities(_ query: [Float]) -> [Float] {
        precondition(query.count == dimension, "KeyIndex: query of \(query.count) values in a \(dimension)-wide index")
        guard !ownerNumbers.isEmpty else { return [] }
        let q = Tensor(shape: [1, dimension], scalars: unitLength(query))
        let k = Tensor(shape: [ownerNumbers.count, dimension], scalars: keys)
        return matmul(q, k, transposeB: true).scalars
    }

    /// The best edit, its similarity, and the strongest competitor (another edit or a reference key).
    /// Ties go to the key inserted first.
    public func match(_ query: [Float]) -> KeyMatch {
        let sims = similarities(query)
        var background: Float = -1
        // The two best distinct edits, in one pass: (similarity, owner number).
        var best: (sim: Float, owner: Int32) = (-2, -1), second: (sim: Float, owner: Int32) = (-1, -1)
        for (i, n) in ownerNumbers.enumerated() {
            let s = sims[i]
            if n < 0 {
                if s > background { background = s }
            } else if n == best.owner {
                if s > best.sim { best.sim = s }
            } else if s >= best.sim {  // ties go to the later key: a newer edit of the same prompt wins
                second = best.owner >= 0 ? best : second
                best = (s, n)
            } else if s > second.sim {
                second = (s, n)
            }
        }
        guard best.owner >= 0 else {
            return KeyMatch(owner: nil, similarity: -1, runnerUp: background, background: background)
        }
        return KeyMatch(owner: ownerNames[Int(best.owner)], similarity: best.sim, runnerUp: max(second.sim, background),
                        background: background, secondEdit: second.sim)
    }
}

/// `v / ‖v‖` (the zero vector stays zero).
public func unitLength(_ v: [Float]) -> [Float] {
    var norm: Float = 0
    for x in v { norm += x * x }
    norm = norm.squareRoot()
    guard norm > 0 else { return v }
    let inv = 1 / norm
    return v.map { $0 * inv }
}
