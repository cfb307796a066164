import ElderTensor

/// The trainable part of an edited model as named float32 tensors, so the store can save and rebuild it
/// without any model code. Names are stable and sort in a fixed order (hashing and deltas rely on it).
///
/// Naming: `molora.<layer>.<expert>.A` [r, F] and `.B` [D, r] for the mixture of LoRAs on block
/// `<layer>`'s `down_proj`; `router.<layer>.weight` [N, Q] and `.bias` [N]; baselines add their own
/// (`ftl.<layer>.down` [D, F], `lora.<layer>.A/B`, `grace.<layer>.keys/values`).
public struct AdapterState: Sendable, Equatable {
    public var tensors: [String: Tensor]

    public init(tensors: [String: Tensor] = [:]) {
        self.tensors = tensors
    }

    /// Names in the fixed order used for hashing and deltas.
    public var names: [String] { tensors.keys.sorted() }

    public subscript(name: String) -> Tensor? {
        get { tensors[name] }
        set { tensors[name] = newValue }
    }

    public static func loraA(layer: Int, expert: Int) -> String { "molora.\(layer).\(expert).A" }
    public static func loraB(layer: Int, expert: Int) -> String { "molora.\(layer).\(expert).B" }
    public static func routerWeight(layer: Int) -> String { "router.\(layer).weight" }
    public static func routerBias(layer: Int) -> String { "router.\(layer).bias" }

    /// Total number of scalars.
    public var parameterCount: Int { tensors.values.reduce(0) { $0 + $1.count } }

    /// The names whose tensors differ (in shape or any bit) from `other`, including names only one side has.
    public func changedNames(since other: AdapterState) -> [String] {
        let all = Set(tensors.keys).union(other.tensors.keys)
        return all.filter { name in
            guard let a = tensors[name], let b = other.tensors[name] else { return true }
            return a.shape != b.shape || !bitwiseEqual(a.scalars, b.scalars)
        }.sorted()
    }
}

/// Equality of float arrays bit for bit (NaN payloads and signed zeros included).
public func bitwiseEqual(_ a: [Float], _ b: [Float]) -> Bool {
    guard a.count == b.count else { return false }
    for i in 0..<a.count where a[i].bitPattern != b[i].bitPattern { return false }
    return true
}
