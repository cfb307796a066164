// Top-k selection over one row (e.g. next-token logits, V = 49,152).

/// The k largest values with their indices, descending; ties go to the lower index; NaNs are never chosen.
public func topK(_ row: [Float], k: Int) -> [(index: Int, value: Float)] {
    let k = min(max(k, 0), row.count)
    if k == 0 { return [] }
    if k > 64 {
        // Large k: one sort of the candidates by (value descending, index ascending).
        let order = row.indices.filter { !row[$0].isNaN }.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
        return order.prefix(k).map { (index: $0, value: row[$0]) }
    }
    // Insertion into a small sorted buffer: one comparison per element in the common case (k << V).
    var best: [(index: Int, value: Float)] = []
    best.reserveCapacity(k + 1)
    for (i, v) in row.enumerated() where !v.isNaN {
        if best.count == k, let last = best.last, !(v > last.value) { continue }
        // Find the first slot whose value is smaller (equal values keep the earlier, lower index first).
        var lo = 0, hi = best.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if best[mid].value >= v { lo = mid + 1 } else { hi = mid }
        }
        best.insert((i, v), at: lo)
        if best.count > k { best.removeLast() }
    }
    return best
}
