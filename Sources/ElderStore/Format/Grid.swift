/// The value grid of a knowledge repo: every committed value is an integer number of grid units,
/// one unit being 2^log2Step. Because float32 holds every integer below 2^24 exactly, values of at most
/// 2^24 − 1 units convert between units and floats with no rounding, and sums of deltas (integers) are
/// exact in any order. See FORMAT.md ("The grid").
public struct Grid: Sendable, Equatable, Codable {
    public let log2Step: Int
    /// The largest magnitude in units (values within ±maxUnits·step are representable).
    public static let maxUnits: Int32 = (1 << 24) - 1

    public init(log2Step: Int) {
        precondition((-60...20).contains(log2Step), "grid step 2^\(log2Step) is out of range")
        self.log2Step = log2Step
    }

    public var step: Float { Float(sign: .plus, exponent: log2Step, significand: 1) }
    public var maxValue: Float { Float(Grid.maxUnits) * step }

    /// Units of `value` if it lies exactly on the grid and in range, else nil.
    @inline(__always)
    public func exactUnits(_ value: Float) -> Int32? {
        let u = Double(value) * Double(sign: .plus, exponent: -log2Step, significand: 1)
        guard u.isFinite, u.rounded() == u, abs(u) <= Double(Grid.maxUnits) else { return nil }
        return Int32(u)
    }

    /// The nearest grid point's units (ties to even), clamped to the range.
    @inline(__always)
    public func nearestUnits(_ value: Double) -> Int32 {
        guard value.isFinite else { return 0 }
        let u = (value * Double(sign: .plus, exponent: -log2Step, significand: 1)).rounded(.toNearestOrEven)
        return Int32(max(-Double(Grid.maxUnits), min(Double(Grid.maxUnits), u)))
    }

    @inline(__always)
    public func value(_ units: Int32) -> Float { Float(units) * step }
}

/// A tensor in grid units: the exact form in which ElderStore keeps, sums and compares states.
public struct GridTensor: Sendable, Equatable {
    public var shape: [Int]
    public var units: [Int32]

    public init(shape: [Int], units: [Int32]) {
        self.shape = shape
        self.units = units
    }

    public var isZero: Bool { !units.contains { $0 != 0 } }

    /// Its float values on `grid` (exact: every unit count in range is a float).
    public func floats(on grid: Grid) -> StoredTensor {
        let step = grid.step
        return StoredTensor(shape: shape, values: units.map { Float($0) * step })
    }
}

/// An adapter state or a state difference in grid units (the store's exact internal form).
public struct GridState: Sendable, Equatable {
    public var tensors: [String: GridTensor] = [:]
    public var routers: [String: GridTensor] = [:]

    public init(tensors: [String: GridTensor] = [:], routers: [String: GridTensor] = [:]) {
        self.tensors = tensors
        self.routers = routers
    }

    /// Byte count of the unit arrays (for cache accounting).
    var byteCount: Int {
        (tensors.values.map(\.units.count).reduce(0, +) + routers.values.map(\.units.count).reduce(0, +)) * 4
    }

    /// The float values of this state on `grid`.
    public func floats(on grid: Grid) -> StoredState {
        StoredState(tensors: tensors.mapValues { $0.floats(on: grid) }, routers: routers.mapValues { $0.floats(on: grid) })
    }

    /// Adds `delta` to this state in place; tensors missing here start at zero.
    /// Throws when a shape differs or a sum leaves the grid's range.
    public mutating func add(_ delta: GridState, sign: Int32 = 1) throws {
        try GridState.add(&tensors, delta.tensors, sign: sign)
        try GridState.add(&routers, delta.routers, sign: sign)
    }

    private static func add(_ into: inout [String: GridTensor], _ delta: [String: GridTensor], sign: Int32) throws {
        for (name, d) in delta {
            if into[name] == nil { into[name] = GridTensor(shape: d.shape, units: [Int32](repeating: 0, count: d.units.count)) }
            guard into[name]!.shape == d.shape else {
                throw StoreError.shapeMismatch(name: name, expected: into[name]!.shape, got: d.shape)
            }
            var low = Int32.max, high = Int32.min
            into[name]!.units.withUnsafeMutableBufferPointer { b in
                d.units.withUnsafeBufferPointer { s in
                    // Terms are within ±2^25 (decoded packs are bounded so): the sums are exact; range-check after.
                    if sign == 1 {
                        for i in 0..<b.count { let v = b[i] &+ s[i]; b[i] = v; low = min(low, v); high = max(high, v) }
                    } else {
                        for i in 0..<b.count { let v = b[i] &- s[i]; b[i] = v; low = min(low, v); high = max(high, v) }
                    }
                }
            }
            let overflow = low < -Grid.maxUnits || high > Grid.maxUnits
            if overflow { throw StoreError.outOfGridRange(name: name) }
        }
    }

    /// `self − base` tensor by tensor (tensors missing in `base` count as zero); all-zero results are left out.
    public func difference(from base: GridState) throws -> GridState {
        func diff(_ a: [String: GridTensor], _ b: [String: GridTensor]) throws -> [String: GridTensor] {
            var out: [String: GridTensor] = [:]
            for (name, t) in a {
                guard let o = b[name] else {
                    if !t.isZero { out[name] = t }
                    continue
                }
                guard o.shape == t.shape else { throw StoreError.shapeMismatch(name: name, expected: o.shape, got: t.shape) }
                var units = [Int32](repeating: 0, count: t.units.count)
                var any = false
                for i in 0..<units.count {
                    let v = t.units[i] &- o.units[i]
                    units[i] = v
                    if v != 0 { any = true }
                }
                if any { out[name] = GridTensor(shape: t.shape, units: units) }
            }
            for (name, o) in b where a[name] == nil {
                throw StoreError.tensorRemoved(name: name, shape: o.shape)
            }
            return out
        }
        return GridState(tensors: try diff(tensors, base.tensors), routers: try diff(routers, base.routers))
    }

    /// The negated difference (for reverting a commit's delta).
    public var negated: GridState {
        GridState(tensors: tensors.mapValues { GridTensor(shape: $0.shape, units: $0.units.map { 0 &- $0 }) },
                  routers: routers.mapValues { GridTensor(shape: $0.shape, units: $0.units.map { 0 &- $0 }) })
    }
}

extension StoredState {
    /// This state in grid units; throws `notOnGrid` naming the first tensor with a value off the grid.
    public func units(on grid: Grid) throws -> GridState {
        func convert(_ g: [String: StoredTensor]) throws -> [String: GridTensor] {
            var out: [String: GridTensor] = [:]
            for (name, t) in g {
                var units = [Int32](repeating: 0, count: t.values.count)
                for i in 0..<units.count {
                    guard let u = grid.exactUnits(t.values[i]) else {
                        throw StoreError.notOnGrid(name: name, index: i, value: t.values[i])
                    }
                    units[i] = u
                }
                out[name] = GridTensor(shape: t.shape, units: units)
            }
            return out
        }
        return GridState(tensors: try convert(tensors), routers: try convert(routers))
    }
}
