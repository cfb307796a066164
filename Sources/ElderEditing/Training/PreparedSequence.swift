import ElderModel
import ElderTensor

/// One sequence of an edit's training batch: a prompt and the target that should follow it.
public struct TrainingSequence: Sendable {
    /// Prompt tokens followed by target tokens.
    public var tokens: [Int]
    public var promptLength: Int
    /// The edit this sequence teaches (the new edit, or a replayed earlier one).
    public var editID: String

    public init(prompt: [Int], target: [Int], editID: String) {
        precondition(!prompt.isEmpty && !target.isEmpty, "TrainingSequence: empty prompt or target")
        tokens = prompt + target
        promptLength = prompt.count
        self.editID = editID
    }

    /// (position, token) pairs: the rows whose next-token prediction is a target token.
    public var targetPredictions: [(position: Int, token: Int)] {
        (promptLength..<tokens.count).map { (position: $0 - 1, token: tokens[$0]) }
    }
}

/// What the frozen part of the model computes for a sequence once per edit: every block below the first
/// adapted block, and every position before the adapted span in every block, is unchanged by training.
struct PreparedSequence {
    let sequence: TrainingSequence
    /// First position the adapter acts on.
    let spanStart: Int
    /// The residual stream entering the first adapted block at positions spanStart..<T: [T - spanStart, D].
    let suffixResidual: Tensor
    /// Keys and values of positions 0..<spanStart in each block from the first adapted one up, [spanStart, kvWidth].
    let prefixKeys: [Tensor]
    let prefixValues: [Tensor]
    /// The raw (uncentred) query vector of the prompt.
    let query: [Float]
}

/// Runs the frozen part of the model: below the first adapted block, and the prefix before the adapted span.
struct FrozenPass {
    let model: LlamaModel
    let configuration: EditorConfiguration

    var firstAdapted: Int { configuration.layers.min() ?? 0 }

    /// The residual stream at the first adapted block for `ids` (positions `start...`) and, when `promptLength`
    /// rows are the prompt, its query vector. Fills `cache` for the blocks below the first adapted one.
    func lower(_ ids: [Int], start: Int = 0, promptLength: Int, cache: KVCache? = nil) -> (residual: Tensor, query: [Float]) {
        let q = configuration.query
        var captured: Tensor?
        var hooks: [Int: BlockHooks] = [:]
        if q.source == .downProjInput {
            hooks[q.layer] = BlockHooks(observeDownInput: { captured = $0 })
        }
        let positions = Array(start..<(start + ids.count))
        let residual = model.run(model.embed(ids), layers: 0..<firstAdapted, positions: positions, cache: cache,
                                 hooks: hooks, afterBlock: { i, h in if q.source == .residual && i == q.layer { captured = h } })
        let query = captured.map { pool($0, promptLength: promptLength, pooling: q.pooling) } ?? []
        return (residual, query)
    }

    /// The query vector of a prompt alone: runs only the blocks up to the query layer (the same arithmetic
    /// as `lower`, so the same bits).
    func query(_ ids: [Int]) -> [Float] {
        let q = configuration.query
        var captured: Tensor?
        var hooks: [Int: BlockHooks] = [:]
        if q.source == .downProjInput {
            hooks[q.layer] = BlockHooks(observeDownInput: { captured = $0 })
        }
        _ = model.run(model.embed(ids), layers: 0..<(q.layer + 1), positions: Array(0..<ids.count), hooks: hooks,
                      afterBlock: { i, h in if q.source == .residual && i == q.layer { captured = h } })
        return captured.map { pool($0, promptLength: ids.count, pooling: q.pooling) } ?? []
    }

    /// Everything the trainer needs about `sequence`, computed once.
    func prepare(_ sequence: TrainingSequence) -> PreparedSequence {
        let t = sequence.tokens.count
        let (residual, query) = lower(sequence.tokens, promptLength: sequence.promptLength)
        let spanStart = configuration.adapterSpan == .wholeSequence ? 0 : sequence.promptLength - 1
        let n = model.blocks.count
        var keys: [Tensor] = [], values: [Tensor] = []
        if spanStart > 0 {
            let cache = KVCache(configuration: model.configuration, reserve: spanStart)
            let prefix = Tensor(shape: [spanStart, residual.lastDimension], scalars: Array(residual.scalars[0..<(spanStart * residual.lastDimension)]))
            _ = model.run(prefix, layers: firstAdapted..<n, positions: Array(0..<spanStart), cache: cache)
            for i in firstAdapted..<n {
                keys.append(cache.layers[i].keys)
                values.append(cache.layers[i].values)
            }
        } else {
            let empty = Tensor(zeros: [0, model.configuration.kvWidth])
            keys = Array(repeating: empty, count: n - firstAdapted)
            values = keys
        }
        let d = residual.lastDimension
        let suffix = Tensor(shape: [t - spanStart, d], scalars: Array(residual.scalars[(spanStart * d)...]))
        return PreparedSequence(sequence: sequence, spanStart: spanStart, suffixResidual: suffix,
                                prefixKeys: keys, prefixValues: values, query: query)
    }
}

/// One vector from the rows of a prompt: its last row or the mean of its rows.
func pool(_ h: Tensor, promptLength: Int, pooling: EditorConfiguration.Query.Pooling) -> [Float] {
    let d = h.lastDimension
    let rows = min(promptLength, h.rowCount)
    switch pooling {
    case .lastToken:
        return h.row(rows - 1)
    case .mean:
        var sum = [Double](repeating: 0, count: d)
        for r in 0..<rows {
            for j in 0..<d { sum[j] += Double(h.scalars[r * d + j]) }
        }
        return sum.map { Float($0 / Double(rows)) }
    }
}
