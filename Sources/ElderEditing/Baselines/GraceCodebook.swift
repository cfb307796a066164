import ElderTensor

/// GRACE's discrete key-value codebook at one layer (Hartvigsen et al. 2023, "Aging with GRACE"): keys
/// are the layer's input at an edited prompt's last token, values replace the layer's output, and each key
/// has a deferral radius. An input is inside the codebook iff the Euclidean distance from its key to the
/// nearest stored key is at most that key's radius.
///
/// Rules for a new edit's key q with answer label y, nearest stored key i at distance d:
/// - no key, or d > ε_init + radius_i: add q with radius ε_init;
/// - d within reach and y equals i's label: keep i, widen radius_i to d if it was smaller ("coverage");
/// - d within reach and a different label: add q, and split: radius_i = d/2 − 1e-5, radius_q = d/2,
///   so the two balls no longer overlap.
public struct GraceCodebook: Sendable, Equatable {
    /// Keys [K][F], values [K][D], radii [K] and labels [K] (the answer tokens each key stands for).
    public var keys: [[Float]] = []
    public var values: [[Float]] = []
    public var radii: [Float] = []
    public var labels: [[Int]] = []

    public init() {}

    public var count: Int { keys.count }

    /// What `insert` did.
    public enum Insertion: Sendable, Equatable {
        case added(index: Int)
        case expanded(index: Int, from: Float, to: Float)
        case reused(index: Int)
        case split(index: Int, neighbour: Int)

        /// The key whose value the edit trains.
        public var chosen: Int {
            switch self {
            case .added(let i), .expanded(let i, _, _), .reused(let i), .split(let i, _): return i
            }
        }
    }

    /// Euclidean distance in Float64 (so ties and radii compare the same on every platform).
    static func distance(_ a: [Float], _ b: [Float]) -> Float {
        var s = 0.0
        for j in 0..<min(a.count, b.count) {
            let d = Double(a[j]) - Double(b[j])
            s += d * d
        }
        return Float(s.squareRoot())
    }

    /// The nearest stored key (lowest index among ties) and its distance.
    public func nearest(to key: [Float]) -> (index: Int, distance: Float)? {
        var best: (index: Int, distance: Float)?
        for (i, k) in keys.enumerated() {
            let d = Self.distance(k, key)
            if best == nil || d < best!.distance { best = (i, d) }
        }
        return best
    }

    /// The key whose value replaces the output for `key`, or nil (then the base model runs).
    public func lookup(_ key: [Float]) -> (index: Int, distance: Float)? {
        guard let n = nearest(to: key), n.distance <= radii[n.index] else { return nil }
        return n
    }

    /// Applies GRACE's rules for an edit's key; `value` is the new key's initial value when one is added.
    public mutating func insert(key: [Float], label: [Int], value: [Float], initialRadius: Float) -> Insertion {
        guard let n = nearest(to: key), n.distance <= initialRadius + radii[n.index] else {
            append(key: key, label: label, value: value, radius: initialRadius)
            return .added(index: count - 1)
        }
        if labels[n.index] == label {
            let old = radii[n.index]
            guard n.distance > old else { return .reused(index: n.index) }
            radii[n.index] = n.distance
            return .expanded(index: n.index, from: old, to: n.distance)
        }
        append(key: key, label: label, value: value, radius: n.distance / 2)
        radii[n.index] = n.distance / 2 - 1e-5
        return .split(index: count - 1, neighbour: n.index)
    }

    mutating func append(key: [Float], label: [Int], value: [Float], radius: Float) {
        keys.append(key)
        values.append(value)
        radii.append(radius)
        labels.append(label)
    }

    /// Removes the keys `indices` (GRACE's delete: the other keys keep their radii).
    public mutating func remove(_ indices: Set<Int>) {
        let keep = (0..<count).filter { !indices.contains($0) }
        keys = keep.map { keys[$0] }
        values = keep.map { values[$0] }
        radii = keep.map { radii[$0] }
        labels = keep.map { labels[$0] }
    }
}
