import ElderStable
/// The LoRAs an edit owns: for each adapted layer, k distinct indices out of N, sorted.
///
/// An edit trains through (and, in Elder's default, infers through) its allocation; its allocation code
/// (one bit per layer and LoRA) is what the paper's Hamming deferral compares.
public struct Allocation: Codable, Sendable, Hashable {
    /// `experts[i]` are the LoRA indices used in the i-th adapted layer.
    public let experts: [[Int]]

    public init(experts: [[Int]]) {
        self.experts = experts.map { $0.sorted() }
    }

    /// The allocation as a code of L·N bits.
    public func code(expertsPerLayer n: Int) -> AllocationCode {
        var code = AllocationCode(bitCount: experts.count * n)
        for (layer, chosen) in experts.enumerated() {
            for j in chosen { code.set(layer * n + j) }
        }
        return code
    }
}

/// Hands out allocations to new edits, deterministically from (seed, key), keeping them distinct from the
/// live edits' allocations while the code space C(N,k)^L allows, and (with `.leastUsed`) spreading edits
/// over the LoRAs that the fewest live edits use, so later edits overwrite as little as possible; with
/// `.leastSimilar` a live edit counts by how similar its prompt is to the new one's, so edits whose
/// activations a new edit's training would move the most keep LoRAs of their own.
public struct AllocationAssigner: Sendable {
    public let layers: Int
    public let experts: Int
    public let topK: Int
    public let policy: EditorConfiguration.AllocationPolicy
    public let seed: UInt64

    public init(layers: Int, experts: Int, topK: Int, policy: EditorConfiguration.AllocationPolicy, seed: UInt64) {
        precondition(layers > 0 && experts > 0 && topK > 0 && topK <= experts, "AllocationAssigner: bad sizes")
        self.layers = layers
        self.experts = experts
        self.topK = topK
        self.policy = policy
        self.seed = seed
    }

    public init(configuration c: EditorConfiguration) {
        self.init(layers: c.layers.count, experts: c.experts, topK: c.topK, policy: c.allocationPolicy, seed: c.seed)
    }

    /// The allocation for the edit keyed `key`, given the allocations of the live edits and (for
    /// `.leastSimilar`) each live edit's similarity to the new one, parallel to `live`.
    /// Editing with an existing key (a label shared by several edits) returns that key's allocation.
    public func assign(key: String, live: [Allocation], similarities: [Float]? = nil) -> Allocation {
        var rng = SplitMix64(seed: stableHash(key, seed: seed))
        let taken = Set(live)
        var usage = [[Float]](repeating: [Float](repeating: 0, count: experts), count: layers)
        for (e, a) in live.enumerated() {
            let weight = policy == .leastSimilar ? Self.usageWeight(similarity: similarities?[e] ?? 0) : 1
            for (i, chosen) in a.experts.enumerated() where i < layers {
                for j in chosen where j < experts { usage[i][j] += weight }
            }
        }
        // Up to 64 draws for an unused code; after that the space is (nearly) full and a reused one is fine.
        var candidate = draw(usage: usage, rng: &rng)
        var attempts = 1
        while taken.contains(candidate) && attempts < 64 {
            candidate = draw(usage: usage, rng: &rng)
            attempts += 1
        }
        return candidate
    }

    /// What a live edit of this similarity to the new one counts for in `.leastSimilar`: a tenth of an
    /// edit whatever it is (so the load still spreads), plus s⁴ (same-template prompts at 0.85–0.9 count
    /// ~5× an unrelated one; below 0.3 nearly nothing).
    static func usageWeight(similarity s: Float) -> Float {
        let p = max(0, s)
        return 0.1 + p * p * p * p
    }

    private func draw(usage: [[Float]], rng: inout SplitMix64) -> Allocation {
        var layersChosen: [[Int]] = []
        layersChosen.reserveCapacity(layers)
        for i in 0..<layers {
            // Random tie-break keys, then (for least-used) order by usage first.
            let keys = (0..<experts).map { _ in rng.next() }
            let order = (0..<experts).sorted { a, b in
                if policy != .random && usage[i][a] != usage[i][b] { return usage[i][a] < usage[i][b] }
                return keys[a] < keys[b]
            }
            layersChosen.append(Array(order.prefix(topK)))
        }
        return Allocation(experts: layersChosen)
    }
}
