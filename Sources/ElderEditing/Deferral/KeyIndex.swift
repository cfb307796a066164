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
    public func fires(margin: Float, referenceMargin: Float, minimum: Float) -> Bool {
        owner != nil && similarity - secondEdit >= margin && similarity - background >= referenceMargin && similarity >= minimum
    }
}

/// Elder's deferral memory: unit-length query keys of the live edits (prompt and training paraphrases)
/// beside keys of reference prompts that belong to no edit. An input is in an edit's scope when its query
/// is clearly nearer to that edit than to anything else. Search is one matrix-vector product.
public struct KeyIndex: Sendable, Equatable {
    public let dimension: Int
    /// Keys back to back, `dimension` floats each, unit length.
    public private(set) var keys: [Float] = []
    /// The edit of each key; nil marks a reference key.
    public private(set) var owners: [String?] = []

    public init(dimension: Int) {
        precondition(dimension > 0, "KeyIndex: dimension must be positive")
        self.dimension = dimension
    }

    public var count: Int { owners.count }
    public var editKeyCount: Int { owners.lazy.filter { $0 != nil }.count }

    /// Adds a key (normalized here) for `owner`, or a reference key when `owner` is nil.
    public mutating func insert(_ key: [Float], owner: String?) {
        precondition(key.count == dimension, "KeyIndex: key of \(key.count) values in a \(dimension)-wide index")
        keys.append(contentsOf: unitLength(key))
        owners.append(owner)
    }

    /// Removes every key of `owner` (a reverted edit).
    public mutating func remove(owner: String) {
        var keptKeys: [Float] = []
        var keptOwners: [String?] = []
        keptKeys.reserveCapacity(keys.count)
        for (i, o) in owners.enumerated() where o != owner {
            keptKeys.append(contentsOf: keys[(i * dimension)..<((i + 1) * dimension)])
            keptOwners.append(o)
        }
        keys = keptKeys
        owners = keptOwners
    }

    /// Cosine similarities of `query` to every key.
    public func similarities(_ query: [Float]) -> [Float] {
        precondition(query.count == dimension, "KeyIndex: query of \(query.count) values in a \(dimension)-wide index")
        guard !owners.isEmpty else { return [] }
        let q = Tensor(shape: [1, dimension], scalars: unitLength(query))
        let k = Tensor(shape: [owners.count, dimension], scalars: keys)
        return matmul(q, k, transposeB: true).scalars
    }

    /// The best edit, its similarity, and the strongest competitor (another edit or a reference key).
    public func match(_ query: [Float]) -> KeyMatch {
        let sims = similarities(query)
        var best: (owner: String?, sim: Float) = (nil, -2)
        var background: Float = -1
        // Best similarity per edit, then the best and second-best edits.
        var perEdit: [String: Float] = [:]
        for (i, owner) in owners.enumerated() {
            let s = sims[i]
            if let owner {
                if s > perEdit[owner, default: -2] { perEdit[owner] = s }
            } else if s > background {
                background = s
            }
        }
        var second: Float = -1
        for (owner, s) in perEdit.sorted(by: { $0.key < $1.key }) {
            if s > best.sim {
                if best.owner != nil { second = max(second, best.sim) }
                best = (owner, s)
            } else {
                second = max(second, s)
            }
        }
        guard best.owner != nil else {
            return KeyMatch(owner: nil, similarity: -1, runnerUp: background, background: background)
        }
        return KeyMatch(owner: best.owner, similarity: best.sim, runnerUp: max(second, background), background: background,
                        secondEdit: second)
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
