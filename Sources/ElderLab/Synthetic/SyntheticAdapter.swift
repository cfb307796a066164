import ElderStore
import Foundation

/// Sizes of a mixture-of-LoRA adapter, for synthetic states in tests and benchmarks
/// (defaults: SmolLM2-135M's down_proj, 6 layers × 4 LoRAs of rank 8 on 1536 → 576, top-2).
public struct SyntheticAdapterShape: Sendable, Equatable {
    public var layers = 6
    public var loras = 4
    public var rank = 8
    public var inputDim = 1536
    public var outputDim = 576
    public var topK = 2

    public init(layers: Int = 6, loras: Int = 4, rank: Int = 8, inputDim: Int = 1536, outputDim: Int = 576, topK: Int = 2) {
        self.layers = layers; self.loras = loras; self.rank = rank
        self.inputDim = inputDim; self.outputDim = outputDim; self.topK = topK
    }

    public func aName(_ layer: Int, _ lora: Int) -> String { "L\(layer).lora\(lora).A" }
    public func bName(_ layer: Int, _ lora: Int) -> String { "L\(layer).lora\(lora).B" }
    public func routerWeightName(_ layer: Int) -> String { "L\(layer).router.W" }
    public func routerBiasName(_ layer: Int) -> String { "L\(layer).router.b" }

    /// Values an edit changes: k LoRAs per layer (A and B) and every router.
    public var valuesPerEdit: Int { loraValuesPerEdit + layers * (loras * inputDim + loras) }

    /// Values an edit changes when it leaves the routers alone.
    public var loraValuesPerEdit: Int { layers * topK * rank * (inputDim + outputDim) }
}

/// Makes trained-looking adapter states: an initial state (A ~ U(±1/√r), B = 0, small routers) and
/// edits that move the k allocated LoRAs of every layer (and, with `movesRouters`, all routers) by
/// gaussian steps. Elder's default editor leaves the routers alone; the paper's recipe trains them.
public struct SyntheticEditor: Sendable {
    public let shape: SyntheticAdapterShape
    public var updateScale: Double
    public var random: SeededRandom
    public var movesRouters: Bool

    public init(shape: SyntheticAdapterShape = SyntheticAdapterShape(), seed: UInt64 = 1, updateScale: Double = 1e-3,
                movesRouters: Bool = true) {
        self.shape = shape
        self.updateScale = updateScale
        self.random = SeededRandom(seed: seed)
        self.movesRouters = movesRouters
    }

    public mutating func initialState() -> StoredState {
        var state = StoredState()
        let bound = 1 / Double(shape.rank).squareRoot()
        for l in 0..<shape.layers {
            for j in 0..<shape.loras {
                let a = (0..<(shape.rank * shape.inputDim)).map { _ in Float((random.uniform() * 2 - 1) * bound) }
                state.tensors[shape.aName(l, j)] = StoredTensor(shape: [shape.rank, shape.inputDim], values: a)
                state.tensors[shape.bName(l, j)] = StoredTensor.zeros([shape.outputDim, shape.rank])
            }
            state.routers[shape.routerWeightName(l)] = StoredTensor(shape: [shape.loras, shape.inputDim],
                                                              values: random.gaussians(shape.loras * shape.inputDim, scale: 0.02))
            state.routers[shape.routerBiasName(l)] = StoredTensor.zeros([shape.loras])
        }
        return state
    }

    /// A random allocation: `topK` distinct LoRA indices per layer.
    public mutating func allocation() -> [[Int]] {
        (0..<shape.layers).map { _ in
            var picked: [Int] = []
            while picked.count < shape.topK {
                let j = Int(random.next() % UInt64(shape.loras))
                if !picked.contains(j) { picked.append(j) }
            }
            return picked.sorted()
        }
    }

    /// The trained tensors of one edit on top of `parent`: changed tensors only, off the grid.
    public mutating func trainedEdit(from parent: StoredState, allocation: [[Int]]) -> StoredState {
        var out = StoredState()
        func moved(_ name: String, _ t: StoredTensor?) -> StoredTensor? {
            guard let t else { return nil }
            let step = random.gaussians(t.count, scale: updateScale)
            var values = t.values
            for i in 0..<values.count { values[i] += step[i] }
            return StoredTensor(shape: t.shape, values: values)
        }
        for (l, picked) in allocation.enumerated() {
            for j in picked {
                out.tensors[shape.aName(l, j)] = moved(shape.aName(l, j), parent.tensors[shape.aName(l, j)])
                out.tensors[shape.bName(l, j)] = moved(shape.bName(l, j), parent.tensors[shape.bName(l, j)])
            }
            guard movesRouters else { continue }
            out.routers[shape.routerWeightName(l)] = moved(shape.routerWeightName(l), parent.routers[shape.routerWeightName(l)])
            out.routers[shape.routerBiasName(l)] = moved(shape.routerBiasName(l), parent.routers[shape.routerBiasName(l)])
        }
        return out
    }

    /// The allocation as a code: one bit per (layer, LoRA), packed in bytes (a codebook entry).
    public func code(_ allocation: [[Int]]) -> [UInt8] {
        var bits = [UInt8](repeating: 0, count: (shape.layers * shape.loras + 7) / 8)
        for (l, picked) in allocation.enumerated() {
            for j in picked { let b = l * shape.loras + j; bits[b / 8] |= 1 << UInt8(b % 8) }
        }
        return bits
    }
}
