import Foundation

/// How a trained state is put onto the grid before it is committed ("compaction"; FORMAT.md).
///
/// For each changed tensor the update u = trained − parent (+ the carried remainder) is quantized with
/// a step of `stepScale` × rms(u), rounded to a lattice step (2^s or 3·2^(s−1) grid units, at least one): the committed value is
/// parent + q·step with q = round(u / step), and u − q·step is the remainder. A step near the update's
/// rms makes most q lie in {−2…2} (about 2 bits each after zstd); the remainder, when the caller
/// carries it into the next edit, keeps quantization errors from accumulating.
public struct CompactionOptions: Sendable, Equatable, Codable {
    /// Step size as a multiple of the update's root-mean-square; 0 keeps every grid unit (largest deltas).
    public var stepScale: Double

    public init(stepScale: Double = 1.75) { self.stepScale = stepScale }
}

/// The part of trained updates not yet committed, per tensor name (kept by the caller between edits).
public struct CompactionCarry: Sendable, Equatable {
    public var residuals: [String: [Float]] = [:]
    public init() {}
}

public enum Compactor {
    /// Returns the committed form of `trained` (changed tensors only) relative to `parent`, and the
    /// updated carry. Every returned value lies on `grid`; the state the editor measures is this one.
    public static func compact(trained: StoredState, parent: StoredState, grid: Grid,
                               options: CompactionOptions, carry: inout CompactionCarry) throws -> StoredState {
        var out = StoredState()
        out.tensors = try compactGroup(trained.tensors, parent: parent.tensors, grid: grid, options: options, carry: &carry)
        out.routers = try compactGroup(trained.routers, parent: parent.routers, grid: grid, options: options, carry: &carry)
        return out
    }

    static func compactGroup(_ trained: [String: StoredTensor], parent: [String: StoredTensor], grid: Grid,
                             options: CompactionOptions, carry: inout CompactionCarry) throws -> [String: StoredTensor] {
        var out: [String: StoredTensor] = [:]
        for (name, t) in trained {
            let p = parent[name] ?? StoredTensor.zeros(t.shape)
            guard p.shape == t.shape else { throw StoreError.shapeMismatch(name: name, expected: p.shape, got: t.shape) }
            let n = t.count
            var update = [Double](repeating: 0, count: n)
            let residual = carry.residuals[name]
            var sumSquares = 0.0
            for i in 0..<n {
                var u = Double(t.values[i]) - Double(p.values[i])
                if let residual, residual.count == n { u += Double(residual[i]) }
                update[i] = u
                sumSquares += u * u
            }
            let rms = (sumSquares / Double(max(n, 1))).squareRoot()
            let unit = Double(grid.step)
            let stepUnits = Self.latticeStep(options.stepScale * rms / unit)
            let step = stepUnits * unit
            var values = p.values
            var remainder = [Float](repeating: 0, count: n)
            for i in 0..<n {
                guard let base = grid.exactUnits(p.values[i]) else {
                    throw StoreError.notOnGrid(name: name, index: i, value: p.values[i])
                }
                let q = (update[i] / step).rounded(.toNearestOrEven)
                let target = Double(base) + q * stepUnits
                let units = Int32(max(-Double(Grid.maxUnits), min(Double(Grid.maxUnits), target)))
                values[i] = grid.value(units)
                remainder[i] = Float(update[i] - Double(units - base) * unit)
            }
            carry.residuals[name] = remainder
            out[name] = StoredTensor(shape: t.shape, values: values)
        }
        return out
    }

    /// The step in grid units nearest (in log scale) to `ideal` among 1, 2, 3, 4, 6, 8, 12, …, i.e. 2^s and 3·2^(s−1):
    /// steps of different edits then share a coarse lattice, so keyframe sums stay small integers once the
    /// codec divides out their common divisor.
    static func latticeStep(_ ideal: Double) -> Double {
        guard ideal > 1.25 else { return 1 }
        let s = Foundation.floor(Foundation.log2(ideal))
        let low = Foundation.pow(2, s), mid = 1.5 * low, high = 2 * low
        let candidates = [low, mid, high]
        let best = candidates.min { abs(Foundation.log($0 / ideal)) < abs(Foundation.log($1 / ideal)) }!
        return min(best, Double(1 << 23))
    }

    /// Rounds every value of `state` to the nearest grid point (for an initial state).
    public static func snap(_ state: StoredState, to grid: Grid) -> StoredState {
        func snapGroup(_ g: [String: StoredTensor]) -> [String: StoredTensor] {
            g.mapValues { t in StoredTensor(shape: t.shape, values: t.values.map { grid.value(grid.nearestUnits(Double($0))) }) }
        }
        return StoredState(tensors: snapGroup(state.tensors), routers: snapGroup(state.routers))
    }
}
