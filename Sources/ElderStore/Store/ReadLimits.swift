/// How much a version read from a repo may hold: checked against what its objects *declare* (pack headers,
/// blob sizes from object headers) before anything that size is allocated. A repo can come from anyone, so
/// the reader sets these, not the repo: they are read from git config (`elder.maxTensorValues`,
/// `elder.maxStateValues`, `elder.maxCodebookBytes`, `elder.maxNewCommits`; repo-local, global or system,
/// as git reads config),
/// never from `elder.json`, which the repo's author writes. The defaults are far above what real use needs
/// (SmolLM2-135M with Elder's default adapter: 13.4 M values, the largest tensor 885 k values for FT-L,
/// codebooks ~5 KB per live edit).
public struct ReadLimits: Sendable, Equatable {
    /// Values in one tensor.
    public var tensorValues: Int
    /// Values in one state (adapter and router tensors together), and so in one keyframe sum or delta.
    public var stateValues: Int
    /// Bytes of one version's codebook files together.
    public var codebookBytes: Int
    /// Commits one clone, pull or push may bring that are checked one by one (a push's every state is
    /// rebuilt): a bound on the time a server spends on one push.
    public var newCommits: Int

    public init(tensorValues: Int = 1 << 26, stateValues: Int = 1 << 26, codebookBytes: Int = 1 << 29,
                newCommits: Int = 100_000) {
        self.tensorValues = tensorValues
        self.stateValues = stateValues
        self.codebookBytes = codebookBytes
        self.newCommits = newCommits
    }

    /// The git config keys.
    public static let configKeys = ["elder.maxTensorValues", "elder.maxStateValues", "elder.maxCodebookBytes",
                                    "elder.maxNewCommits"]

    /// The defaults with whatever git config sets (a positive integer; `k`, `m`, `g` suffixes as git's).
    public static func configured(in repository: Repository) throws -> ReadLimits {
        var limits = ReadLimits()
        let fields: [WritableKeyPath<ReadLimits, Int>] = [\.tensorValues, \.stateValues, \.codebookBytes, \.newCommits]
        for (key, field) in zip(configKeys, fields) {
            guard let text = try repository.configValue(key, anyLevel: true) else { continue }
            guard let value = Self.parseSize(text), value > 0 else {
                throw StoreError.invalidArgument("git config \(key) = '\(text.prefix(40))' is not a positive number: "
                    + "fix it with `git config \(key) N`")
            }
            limits[keyPath: field] = value
        }
        return limits
    }

    /// `123`, `64k`, `512m`, `2g` (powers of 1024, as git reads sizes); nil otherwise or past 2^50.
    static func parseSize(_ text: String) -> Int? {
        var digits = text.trimmingCharacters(in: .whitespaces).lowercased()
        var scale = 1
        if let last = digits.last, let power = ["k": 10, "m": 20, "g": 30][String(last)] {
            scale = 1 << power
            digits.removeLast()
        }
        guard !digits.isEmpty, digits.utf8.count <= 16, let n = Int(digits), n >= 0 else { return nil }
        let (value, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow || value > 1 << 50 ? nil : value
    }
}

/// The tensors of a state being read, admitted pack by pack from their headers before a pack is decoded:
/// a name seen before keeps its shape, a new one must fit the limits (and the schema the workspace expects,
/// when it gave one). So a rebuild allocates at most `stateValues` values whatever its packs declare.
struct StateBudget {
    let limits: ReadLimits
    /// Every tensor a version may hold, with its shape (nil: any valid name within the limits).
    let schema: [String: [Int]]?
    private(set) var shapes: [String: [Int]] = [:]
    private(set) var values = 0

    init(limits: ReadLimits, schema: [String: [Int]]?) {
        self.limits = limits
        self.schema = schema
    }

    /// A budget that already holds `state`'s tensors (a cached state a rebuild starts from).
    init(limits: ReadLimits, schema: [String: [Int]]?, holding state: GridState) {
        self.init(limits: limits, schema: schema)
        for (name, t) in state.tensors.merging(state.routers, uniquingKeysWith: { a, _ in a }) {
            shapes[name] = t.shape
            values += t.units.count
        }
    }

    /// The most bytes a pack blob read under this budget may have: 4 bytes per value of the whole state (the
    /// widest packing, incompressible) and the headers of as many tensors as the schema or the format allows.
    var maxPackBytes: Int {
        let values = min(limits.stateValues, schemaValues ?? Int.max, TensorCodec.maxElements)
        let tensors = min(schema?.count ?? TensorCodec.maxTensors, TensorCodec.maxTensors)
        return 4 * values + 160 * tensors + (1 << 16)
    }

    private var schemaValues: Int? {
        schema.map { $0.values.reduce(0) { $0 + $1.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max / 2 : $0 * $1 } } }
    }

    /// Admits the tensors `entries` declare (name and shape), or throws naming `what` and the limit.
    mutating func admit(_ entries: [(name: String, shape: [Int])], what: String) throws {
        for (name, shape) in entries {
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            if let known = shapes[name] {
                guard known == shape else { throw StoreError.shapeMismatch(name: name, expected: known, got: shape) }
                continue
            }
            if let schema {
                guard let expected = schema[name] else {
                    throw StoreError.corrupt(what: what, reason: "tensor \(name) is not part of this repo's adapter")
                }
                guard expected == shape else {
                    throw StoreError.corrupt(what: what, reason: "tensor \(name) has shape \(shape), the adapter's is \(expected)")
                }
            }
            guard count <= limits.tensorValues else {
                throw StoreError.overLimit(what: what, limit: "elder.maxTensorValues", declared: count, allowed: limits.tensorValues)
            }
            guard values + count <= limits.stateValues else {
                throw StoreError.overLimit(what: what, limit: "elder.maxStateValues", declared: values + count,
                                           allowed: limits.stateValues)
            }
            shapes[name] = shape
            values += count
        }
    }
}

extension GridState {
    /// Its tensors' names (ascending) and shapes, as a pack header declares them.
    var declared: [(name: String, shape: [Int])] {
        let all = tensors.merging(routers, uniquingKeysWith: { a, _ in a })
        return StateHash.sortedNames(all.keys).map { ($0, all[$0]!.shape) }
    }
}

extension GeneratedRoot {
    /// The tensors it generates, with their shapes, before any is generated.
    var declared: [(name: String, shape: [Int])] {
        groups.flatMap { group in group.names.map { ($0, group.shape) } }
    }
}
