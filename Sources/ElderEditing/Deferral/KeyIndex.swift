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

/// Elder's deferral memory: query keys of the live edits (prompt and training paraphrases) beside keys of
/// reference prompts that belong to no edit. An input is in an edit's scope when its query is clearly
/// nearer (cosine) to that edit than to anything else.
///
/// Keys are held as `QuantizedKeys` blocks, one per owner insertion. A block inserted from an
/// `EditMemory.Entry` is the entry's own array (copy-on-write shares it), so the keys live in memory once,
/// at 16 bits a value. A search is one pass of 16-wide SIMD dot products over the blocks, then one pass over
/// integer owner numbers (at 100,000 edits, 200,000 keys: see `elder-bench deferral --keys`, which measures
/// it against the float32 matrix-vector product it replaced).
public struct KeyIndex: Sendable, Equatable {
    public let dimension: Int
    /// The stored keys, in insertion order, and the owner number of each block (an index into
    /// `ownerNames`); -1 marks reference keys.
    private var blocks: [QuantizedKeys] = []
    private var blockOwners: [Int32] = []
    /// 1/‖key‖ of each key's integer values, in insertion order (0 for a zero key).
    private var inverseNorms: [Float] = []
    private var ownerNames: [String] = []
    private var numberOfOwner: [String: Int32] = [:]

    public init(dimension: Int) {
        precondition(dimension > 0, "KeyIndex: dimension must be positive")
        self.dimension = dimension
    }

    /// The edit of each key; nil marks a reference key.
    public var owners: [String?] {
        zip(blocks, blockOwners).flatMap { b, n in repeatElement(n < 0 ? nil : ownerNames[Int(n)], count: b.count) }
    }
    public var count: Int { inverseNorms.count }
    public var editKeyCount: Int { zip(blocks, blockOwners).reduce(0) { $0 + ($1.1 >= 0 ? $1.0.count : 0) } }
    /// Bytes of key data (16-bit values, scales and inverse norms), counting a block shared with an
    /// `EditMemory` once.
    public var keyBytes: Int { blocks.reduce(0) { $0 + $1.byteCount } + inverseNorms.count * MemoryLayout<Float>.size }

    /// Adds a key for `owner`, or a reference key when `owner` is nil.
    public mutating func insert(_ key: [Float], owner: String?) {
        insert(QuantizedKeys([key], width: dimension), owner: owner)
    }

    /// Adds keys for `owner` (or reference keys), sharing their storage.
    public mutating func insert(_ keys: QuantizedKeys, owner: String?) {
        precondition(keys.count == 0 || keys.width == dimension,
                     "KeyIndex: keys of \(keys.width) values in a \(dimension)-wide index")
        guard keys.count > 0 else { return }
        blocks.append(keys)
        if let owner { blockOwners.append(number(owner)) } else { blockOwners.append(-1) }
        for i in 0..<keys.count {
            var sum: Double = 0
            for v in keys.values[(i * dimension)..<((i + 1) * dimension)] { sum += Double(v) * Double(v) }
            inverseNorms.append(sum > 0 ? Float(1 / sum.squareRoot()) : 0)
        }
    }

    private mutating func number(_ owner: String) -> Int32 {
        if let n = numberOfOwner[owner] { return n }
        let n = Int32(ownerNames.count)
        ownerNames.append(owner)
        numberOfOwner[owner] = n
        return n
    }

    /// Removes every key of `owner` (a reverted edit).
    public mutating func remove(owner: String) {
        guard let gone = numberOfOwner[owner] else { return }
        var keptBlocks: [QuantizedKeys] = [], keptOwners: [Int32] = [], keptNorms: [Float] = []
        var start = 0
        for (b, n) in zip(blocks, blockOwners) {
            if n != gone {
                keptBlocks.append(b)
                keptOwners.append(n)
                keptNorms.append(contentsOf: inverseNorms[start..<(start + b.count)])
            }
            start += b.count
        }
        (blocks, blockOwners, inverseNorms) = (keptBlocks, keptOwners, keptNorms)
        numberOfOwner[owner] = nil
    }

    /// Cosine similarities of `query` to every key, in insertion order.
    public func similarities(_ query: [Float]) -> [Float] {
        precondition(query.count == dimension, "KeyIndex: query of \(query.count) values in a \(dimension)-wide index")
        let q = unitLength(query)
        var out: [Float] = []
        out.reserveCapacity(count)
        for b in blocks { Self.appendDots(of: b.values, width: dimension, with: q, to: &out) }
        for i in out.indices { out[i] *= inverseNorms[i] }
        return out
    }

    /// Appends `values[k] · q` for each key k of a block. The one place in KeyIndex with pointers: the
    /// 16-wide loop loads the Int16 values and the query as SIMD vectors through raw pointers (filling
    /// SIMD16 lane by lane instead measured 30× slower: it is not turned into vector loads).
    private static func appendDots(of values: [Int16], width: Int, with q: [Float], to out: inout [Float]) {
        let wide = width - width % 16
        values.withUnsafeBufferPointer { v in
            q.withUnsafeBufferPointer { q in
                guard let vBase = v.baseAddress, let qBase = q.baseAddress else { return }
                let vRaw = UnsafeRawPointer(vBase), qRaw = UnsafeRawPointer(qBase)
                var base = 0
                while base < v.count {
                    var acc = SIMD16<Float>()
                    var j = 0
                    while j < wide {
                        let a = vRaw.loadUnaligned(fromByteOffset: 2 * (base + j), as: SIMD16<Int16>.self)
                        let b = qRaw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD16<Float>.self)
                        acc += SIMD16<Float>(a) * b
                        j += 16
                    }
                    var dot = acc.sum()
                    while j < width { dot += Float(v[base + j]) * q[j]; j += 1 }
                    out.append(dot)
                    base += width
                }
            }
        }
    }

    /// The best edit, its similarity, and the strongest competitor (another edit or a reference key).
    /// Ties go to the key inserted last: a newer edit of the same prompt wins. `siblings` (the edits that
    /// do not compete with a given best edit, see `SharedNameSiblings`) leaves those out of the competitors.
    public func match(_ query: [Float], siblings: ((String) -> Set<String>)? = nil) -> KeyMatch {
        let sims = similarities(query)
        var background: Float = -1
        // The two best distinct edits, in one pass: (similarity, owner number).
        var best: (sim: Float, owner: Int32) = (-2, -1), second: (sim: Float, owner: Int32) = (-1, -1)
        var i = 0
        for (block, n) in zip(blocks, blockOwners) {
            for s in sims[i..<(i + block.count)] {
                if n < 0 {
                    if s > background { background = s }
                } else if n == best.owner {
                    if s > best.sim { best.sim = s }
                } else if s >= best.sim {  // ties go to the later key
                    second = best.owner >= 0 ? best : second
                    best = (s, n)
                } else if s > second.sim {
                    second = (s, n)
                }
            }
            i += block.count
        }
        guard best.owner >= 0 else {
            return KeyMatch(owner: nil, similarity: -1, runnerUp: background, background: background)
        }
        if let siblings {
            // The second pass: the best edit outside the matched edit's siblings.
            let excluded = Set(siblings(ownerNames[Int(best.owner)]).compactMap { numberOfOwner[$0] })
            second = (-1, -1)
            i = 0
            for (block, n) in zip(blocks, blockOwners) {
                if n >= 0, n != best.owner, !excluded.contains(n) {
                    for s in sims[i..<(i + block.count)] where s > second.sim { second = (s, n) }
                }
                i += block.count
            }
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
