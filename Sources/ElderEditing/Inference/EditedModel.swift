import ElderModel
import ElderTensor

/// The base model with an editor's adapter: the routing decision is made from the prompt (below the
/// first adapted block, so nothing the adapter does can change it) and, when it does not fire, the
/// computation is exactly the base model's, bit for bit.
///
/// The adapter acts until the matched edit's taught answer has been produced: once the generated tokens
/// are that answer, the cache is rebuilt by the base model over prompt + answer and generation goes on as
/// the base model would continue that text ("The capital of France is Lyon" → the base model's own next
/// words), not with more of the answer ("Lyon Lyon"). An answer that goes another way keeps the adapter.
public final class EditedModel {
    public let editor: any Editor
    public let model: LlamaModel
    public let configuration: EditorConfiguration
    /// The decision of the current generation (set by the prompt's forward pass).
    public private(set) var routing: RoutingExplanation?
    /// The current generation: its prompt, the matched edit's answer (nil: no stop rule applies), the
    /// tokens generated since the prompt while the adapter acts, and whether it still acts.
    private var prompt: [Int] = []
    private var answer: [Int]?
    private var produced: [Int] = []
    private var adapterActs = false
    /// Whether the adapter was switched off after the taught answer in the current generation.
    public var answerCompleted: Bool { answer != nil && !adapterActs }

    public init(editor: any Editor, model: LlamaModel) {
        self.editor = editor
        self.model = model
        self.configuration = editor.configuration
    }

    var firstAdapted: Int { configuration.layers.min() ?? 0 }

    /// Logits of `ids` after `cache`'s positions. The first call of a generation (empty cache) treats `ids`
    /// as the prompt and decides the routing; later calls reuse that decision until the taught answer is out.
    public func forward(_ ids: [Int], cache: KVCache, lastOnly: Bool) -> Tensor {
        let start = cache.length
        if start > 0 {
            if let reread = note(decoded: ids, cache: cache, lastOnly: lastOnly) { return reread }
            if !adapterActs { return model.forward(ids, cache: cache, lastOnly: lastOnly) }
        }
        let frozen = FrozenPass(model: model, configuration: configuration)
        let (lower, query) = frozen.lower(ids, start: start, promptLength: ids.count, cache: cache)
        if start == 0 {
            routing = editor.route(query: query)
            prompt = ids
            produced = []
        }
        // Prompt call: the adapter acts from the last prompt token (or every token); decode calls: every row.
        let fromRow = start > 0 || configuration.adapterSpan == .wholeSequence ? 0 : ids.count - 1
        let h = model.run(lower, layers: firstAdapted..<model.blocks.count, positions: Array(start..<(start + ids.count)),
                          cache: cache, hooks: hooks(fromRow: fromRow, promptLastRow: start == 0 ? ids.count - 1 : nil))
        if start == 0 {
            // After the prompt's pass: an editor keyed at its own layer decides there.
            adapterActs = routing?.fired ?? false
            answer = adapterActs && configuration.stopAfterAnswer != false ? routing?.matchedEdit.flatMap(editor.taughtAnswer) : nil
        }
        return model.logits(h, rows: lastOnly ? (h.rowCount - 1)..<h.rowCount : 0..<h.rowCount)
    }

    /// Logits [T, V] of a whole prompt + continuation (teacher forcing): routing from the prompt's rows.
    /// When the continuation goes on past the matched edit's taught answer, the rows after the answer are
    /// the base model's (as generation gives them); otherwise the adapter acts on every continuation row.
    /// `routing`: a decision to use instead of the deferral's (e.g. `Editor.routing(toEdit:)`).
    public func teacherForcedLogits(prompt: [Int], continuation: [Int],
                                    routing forced: RoutingExplanation? = nil) -> (logits: Tensor, routing: RoutingExplanation) {
        teacherForced(prompt: prompt, continuation: continuation, rows: 0..<(prompt.count + continuation.count), routing: forced)
    }

    /// The rows of `teacherForcedLogits` that predict `answer` ([answer.count, V], row i: answer[i]), the
    /// only rows scoring an answer reads; the head runs on those rows alone.
    public func answerLogits(prompt: [Int], answer: [Int],
                             routing forced: RoutingExplanation? = nil) -> (logits: Tensor, routing: RoutingExplanation) {
        teacherForced(prompt: prompt, continuation: answer, rows: (prompt.count - 1)..<(prompt.count + answer.count - 1), routing: forced)
    }

    /// Rows `rows` of the teacher-forced logits of prompt + continuation.
    private func teacherForced(prompt: [Int], continuation: [Int], rows: Range<Int>,
                               routing forced: RoutingExplanation?) -> (logits: Tensor, routing: RoutingExplanation) {
        let frozen = FrozenPass(model: model, configuration: configuration)
        let ids = prompt + continuation
        let (lower, query) = frozen.lower(ids, promptLength: prompt.count)
        let decision = forced ?? editor.route(query: query)
        routing = decision
        let fromRow = configuration.adapterSpan == .wholeSequence ? 0 : prompt.count - 1
        let h = model.run(lower, layers: firstAdapted..<model.blocks.count, positions: Array(0..<ids.count),
                          hooks: hooks(fromRow: fromRow, promptLastRow: prompt.count - 1))
        var logits = model.logits(h, rows: rows)
        let final = routing ?? decision
        if final.fired, configuration.stopAfterAnswer != false, let answer = final.matchedEdit.flatMap(editor.taughtAnswer),
           continuation.count > answer.count, continuation.starts(with: answer) {
            // Rows from the answer's last token on predict what follows the answer: the base model's rows.
            let first = max(prompt.count - 1 + answer.count, rows.lowerBound)
            if first < rows.upperBound {
                let base = model.logits(of: ids, rows: rows)   // the same rows as the edited ones: the same product
                let v = logits.lastDimension, from = (first - rows.lowerBound) * v
                var scalars = logits.scalars
                scalars.replaceSubrange(from..., with: base.scalars[from...])
                logits = Tensor(shape: logits.shape, scalars: scalars)
            }
        }
        return (logits, final)
    }

    /// The hooks that add the adapter, or none when the routing did not fire (the base computation).
    /// An editor keyed at its own layer (GRACE) decides there on the prompt call, from row `promptLastRow`.
    func hooks(fromRow: Int, promptLastRow: Int? = nil) -> [Int: BlockHooks] {
        if let keyed = editor as? any LayerKeyedEditor, let row = promptLastRow {
            let layer = keyed.keyLayer
            return [layer: BlockHooks(replaceDownOutput: { [unowned self] v, frozen in
                let decision = keyed.route(key: v.row(row))
                self.routing = decision
                return decision.fired ? keyed.adapt(layer: layer, v: v, frozen: frozen, routing: decision, fromRow: fromRow) : frozen
            })]
        }
        guard let routing, routing.fired else { return [:] }
        var hooks: [Int: BlockHooks] = [:]
        let editor = self.editor
        for layer in configuration.layers {
            hooks[layer] = BlockHooks(replaceDownOutput: { v, frozen in
                editor.adapt(layer: layer, v: v, frozen: frozen, routing: routing, fromRow: fromRow)
            })
        }
        return hooks
    }

    /// Notes the tokens of a decoding step while the adapter acts. When they complete the taught answer, the
    /// adapter stops, the cache is re-read by the base model over prompt + answer and those logits are
    /// returned; nil: decode `ids` as usual (with the adapter while `adapterActs`).
    private func note(decoded ids: [Int], cache: KVCache, lastOnly: Bool) -> Tensor? {
        guard adapterActs, let answer else { return nil }
        produced += ids
        if produced == answer {
            // The answer is out: from here on the model is the base model on prompt + answer.
            adapterActs = false
            cache.truncate(to: 0)
            return model.forward(prompt + produced, cache: cache, lastOnly: lastOnly)
        }
        if !answer.starts(with: produced) { self.answer = nil }  // another answer: the adapter stays
        return nil
    }

    /// Logits [B, V] of one decoding step of B generations at once, each with its own editor, routing
    /// decision (made by its prompt's `forward`) and cache: `ids[b]` is generation b's next input token.
    /// All must run on the same base model. Row b gets exactly what `generations[b].forward([ids[b]], …)`
    /// gives: its own adapter while it acts, the base model once the taught answer is out.
    public static func decode(_ generations: [EditedModel], ids: [Int], caches: [KVCache]) -> Tensor {
        precondition(!generations.isEmpty && generations.count == ids.count && ids.count == caches.count,
                     "EditedModel.decode: \(generations.count) generations, \(ids.count) tokens, \(caches.count) caches")
        let model = generations[0].model
        // A generation whose taught answer this token completes is re-read alone by the base model (as
        // `forward` does); the others decode together.
        var reread: [Int: Tensor] = [:]
        for b in generations.indices {
            if let logits = generations[b].note(decoded: [ids[b]], cache: caches[b], lastOnly: true) { reread[b] = logits }
        }
        let batch = generations.indices.filter { reread[$0] == nil }
        var rowsByLayer: [Int: [Int]] = [:]
        for (row, b) in batch.enumerated() where generations[b].adapterActs {
            for layer in generations[b].configuration.layers { rowsByLayer[layer, default: []].append(row) }
        }
        var hooks: [Int: BlockHooks] = [:]
        for (layer, rows) in rowsByLayer {
            hooks[layer] = BlockHooks(replaceDownOutput: { v, frozen in
                var out = frozen
                for row in rows {
                    let g = generations[batch[row]]
                    guard let routing = g.routing else { continue }
                    out.replaceRows(startingAt: row, with: g.editor.adapt(layer: layer, v: sliceRows(v, start: row, count: 1),
                                                                          frozen: sliceRows(frozen, start: row, count: 1),
                                                                          routing: routing, fromRow: 0))
                }
                return out
            })
        }
        guard !reread.isEmpty else { return model.decode(ids, caches: caches, hooks: hooks) }
        var out = Tensor(zeros: [ids.count, model.configuration.vocabularySize])
        if !batch.isEmpty {
            let decoded = model.decode(batch.map { ids[$0] }, caches: batch.map { caches[$0] }, hooks: hooks)
            for (row, b) in batch.enumerated() { out.replaceRows(startingAt: b, with: sliceRows(decoded, start: row, count: 1)) }
        }
        for (b, logits) in reread { out.replaceRows(startingAt: b, with: logits) }
        return out
    }

    /// Greedy continuation of `prompt` for up to `maxTokens` tokens (stops at `stop` tokens).
    public func greedy(prompt: [Int], maxTokens: Int, stop: Set<Int> = []) -> [Int] {
        let cache = KVCache(configuration: model.configuration, reserve: prompt.count + maxTokens)
        var logits = forward(prompt, cache: cache, lastOnly: true)
        var out: [Int] = []
        while out.count < maxTokens {
            let next = argmax(logits.scalars)
            if stop.contains(next) { break }
            out.append(next)
            if out.count == maxTokens { break }
            logits = forward([next], cache: cache, lastOnly: true)
        }
        return out
    }
}

/// Index of the largest value (the lowest index among ties).
public func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}
