import ElderStable

/// Root tensors a knowledge repo regenerates from a seed instead of storing them: an editor's random
/// initial matrices (a mixture's LoRA A matrices are 9.4 M values for SmolLM2 with 128 LoRAs per layer,
/// ~26 MB of the root commit once compressed: random values do not compress).
///
/// Written in `elder.json` (`store.generatedRoot`); part of the root state like any stored tensor (the
/// state hash covers them, later deltas change them). Every value is an integer number of grid units, so
/// regeneration is exact on any machine. FORMAT.md, "Generated root tensors".
public struct GeneratedRoot: Sendable, Equatable, Codable {
    /// The one generator: value i of tensor T = (x_i mod (2·bound + 1)) − bound units, where x_i is the
    /// i-th output of `SeededRandom(seed: seed ^ FNV-1a-64(T's name))`.
    public static let uniformUnits = "seeded-uniform-units-1"
    /// Together the tensors hold at most this many values (bounds what a hostile repo can make a reader allocate).
    public static let maxValues = 1 << 28

    /// Generated tensors of the adapter group that share a shape and a bound.
    public struct Group: Sendable, Equatable, Codable {
        public var shape: [Int]
        /// Values are uniform in [−bound, bound] grid units.
        public var bound: Int32
        public var names: [String]

        public init(shape: [Int], bound: Int32, names: [String]) {
            self.shape = shape
            self.bound = bound
            self.names = names
        }
    }

    public var generator: String
    /// 16 hex digits (a JSON number would lose integers above 2^53).
    public var seed: String
    public var groups: [Group]

    public init(seed: UInt64, groups: [Group]) {
        let hex = String(seed, radix: 16)
        self.generator = Self.uniformUnits
        self.seed = String(repeating: "0", count: 16 - hex.count) + hex
        self.groups = groups
    }

    /// The tensors' values in grid units (adapter group).
    public func state() throws -> GridState {
        try validate()
        let base = UInt64(seed, radix: 16)!
        var out = GridState()
        for group in groups {
            let span = UInt64(2 * Int64(group.bound) + 1), bound = Int64(group.bound)
            let count = group.shape.reduce(1, *)
            for name in group.names {
                var random = SeededRandom(seed: base ^ stableHash(name))
                var units = [Int32](repeating: 0, count: count)
                for i in 0..<count { units[i] = Int32(Int64(random.next() % span) - bound) }
                out.tensors[name] = GridTensor(shape: group.shape, units: units)
            }
        }
        return out
    }

    /// Checks what a repo's `elder.json` says before anything is allocated.
    func validate() throws {
        func fail(_ reason: String) -> StoreError { .corrupt(what: "elder.json", reason: "generatedRoot: \(reason)") }
        guard generator == Self.uniformUnits else { throw fail("unknown generator '\(generator)'") }
        guard seed.utf8.count == 16, UInt64(seed, radix: 16) != nil else { throw fail("seed must be 16 hex digits") }
        var total = 0, names = Set<String>()
        for group in groups {
            guard (1...4).contains(group.shape.count), group.shape.allSatisfy({ (1...TensorCodec.maxElements).contains($0) }),
                  (1...Grid.maxUnits).contains(group.bound) else { throw fail("bad shape or bound") }
            let size = group.shape.reduce(1) { min($0 * $1, Self.maxValues + 1) }
            for name in group.names {
                guard Names.isValid(name), names.insert(name).inserted else { throw fail("bad or repeated name '\(name)'") }
                total += size
                guard total <= Self.maxValues else { throw fail("more than \(Self.maxValues) values") }
            }
        }
    }
}
