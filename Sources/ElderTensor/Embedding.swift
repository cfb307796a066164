// Embedding gather and its scatter-add backward.   table: [V,D]   ids: [T]   out: [T,D]

/// Rows `ids` of `table` -> [T,D]. Ids must lie in 0..<V (programmer error otherwise).
public func embedding(_ table: Tensor, ids: [Int]) -> Tensor {
    precondition(table.rank == 2, "embedding: table must be [V,D], got \(table.shape)")
    let v = table.shape[0], d = table.shape[1]
    var out = Tensor(zeros: [ids.count, d])
    out.scalars.withUnsafeMutableBufferPointer { o in
        table.scalars.withUnsafeBufferPointer { tp in
            for (t, id) in ids.enumerated() {
                precondition(id >= 0 && id < v, "embedding: id \(id) out of 0..<\(v)")
                (o.baseAddress! + t * d).update(from: tp.baseAddress! + id * d, count: d)
            }
        }
    }
    return out
}

/// Backward of embedding: dtable[ids[t]] += dout[t] (repeated ids accumulate).
public func embeddingBackward(dtable: inout Tensor, dout: Tensor, ids: [Int]) {
    let d = dtable.shape[1]
    precondition(dout.shape == [ids.count, d], "embeddingBackward: dout \(dout.shape), expected [\(ids.count), \(d)]")
    dtable.scalars.withUnsafeMutableBufferPointer { g in
        dout.scalars.withUnsafeBufferPointer { dp in
            for (t, id) in ids.enumerated() {
                let row = g.baseAddress! + id * d, src = dp.baseAddress! + t * d
                for j in 0..<d { row[j] += src[j] }
            }
        }
    }
}

/// Rows `rows` of a matrix [R,D] -> [rows.count, D] (the same gather as `embedding`; e.g. the hidden
/// states of only the positions a loss reads, before the vocabulary projection).
public func gatherRows(_ x: Tensor, _ rows: [Int]) -> Tensor { embedding(x, ids: rows) }
