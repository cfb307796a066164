import ElderTensor

/// Keys and values of every position one attention layer has seen, rows appended as tokens arrive.
/// Storage grows geometrically; `keys`/`values` hand out [count, width] tensors over it.
public final class LayerKVCache {
    public let width: Int
    public private(set) var count = 0
    private var keyRows: [Float] = []
    private var valueRows: [Float] = []

    public init(width: Int, reserve: Int = 0) {
        self.width = width
        keyRows.reserveCapacity(reserve * width)
        valueRows.reserveCapacity(reserve * width)
    }

    /// Appends rows k, v [T, width].
    public func append(keys k: Tensor, values v: Tensor) {
        precondition(k.lastDimension == width && v.shape == k.shape, "LayerKVCache: rows of \(k.shape) for width \(width)")
        keyRows.append(contentsOf: k.scalars)
        valueRows.append(contentsOf: v.scalars)
        count += k.rowCount
    }

    public var keys: Tensor { Tensor(shape: [count, width], scalars: keyRows) }
    public var values: Tensor { Tensor(shape: [count, width], scalars: valueRows) }

    /// Forgets every position from `length` on (to reuse a shared prefix).
    public func truncate(to length: Int) {
        precondition(length >= 0 && length <= count)
        keyRows.removeLast((count - length) * width)
        valueRows.removeLast((count - length) * width)
        count = length
    }
}

/// One `LayerKVCache` per block: the generation state a model's forward pass reads and extends.
public final class KVCache {
    public let layers: [LayerKVCache]
    public init(configuration c: LlamaConfiguration, reserve: Int = 256) {
        layers = (0..<c.layerCount).map { _ in LayerKVCache(width: c.kvWidth, reserve: reserve) }
    }
    /// Positions held (the same in every layer).
    public var length: Int { layers.first?.count ?? 0 }
    public func truncate(to length: Int) { layers.forEach { $0.truncate(to: length) } }
}
