import ElderEditing
import ElderTensor

/// The deferral's key layout before issue #4, kept only so `elder-bench deferral --keys` can measure the
/// current `KeyIndex` against it in the same run: unit keys as float32, back to back in one array (a
/// second copy beside `EditMemory`'s per-key arrays), searched with one BLAS matrix-vector product.
struct Float32KeyIndex {
    let dimension: Int
    /// [count, dimension], unit length.
    private(set) var keys: [Float] = []
    private var ownerNumbers: [Int32] = []
    private var ownerNames: [String] = []

    init(dimension: Int) { self.dimension = dimension }

    var count: Int { ownerNumbers.count }
    var keyBytes: Int { keys.count * MemoryLayout<Float>.size + ownerNumbers.count * MemoryLayout<Int32>.size }

    /// Adds a key; `owner` nil marks a reference key. Owners are numbered in order of first insertion.
    mutating func insert(_ key: [Float], owner: String?) {
        keys.append(contentsOf: unitLength(key))
        guard let owner else { ownerNumbers.append(-1); return }
        if ownerNames.last != owner { ownerNames.append(owner) }
        ownerNumbers.append(Int32(ownerNames.count - 1))
    }

    func similarities(_ query: [Float]) -> [Float] {
        let q = Tensor(shape: [1, dimension], scalars: unitLength(query))
        return matmul(q, Tensor(shape: [count, dimension], scalars: keys), transposeB: true).scalars
    }

    /// The best edit and its similarity (ties to the later key, as `KeyIndex.match`).
    func match(_ query: [Float]) -> (owner: String?, similarity: Float) {
        let sims = similarities(query)
        var best: (sim: Float, owner: Int32) = (-2, -1)
        for (i, n) in ownerNumbers.enumerated() where n >= 0 && sims[i] >= best.sim { best = (sims[i], n) }
        return best.owner < 0 ? (nil, -1) : (ownerNames[Int(best.owner)], best.sim)
    }
}
