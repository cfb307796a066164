import ElderModel
import ElderTensor

/// The arithmetic of one edit, counted analytically from the shapes (multiply-adds count 2 FLOPs; norms,
/// activations, softmax and the optimizer are left out: they are O(rows · width), not O(rows · width²)).
///
/// - frozen pass, once per edit: for each batch sequence of T tokens, the blocks below the first adapted
///   one over T rows, plus the adapted blocks over the prefix rows the adapter does not act on (and, for
///   GRACE, the key pass: blocks 0...layer over the prompt);
/// - each step, forward: the blocks from the first adapted one up over the adapted rows (attention over
///   every earlier position), the adapter, and the LM head on the target rows only;
/// - each step, backward: input gradients only through the frozen weights (one more pass of every
///   projection above the first adapted block, two of attention's products), the adapter's own gradients,
///   and the LM head's input gradient;
/// - steps run forward `steps + 1` times (the last forward checks convergence) and backward `steps` times.
public struct EditArithmetic: Sendable, Codable, Equatable {
    public var frozenFLOPs: Double
    public var stepForwardFLOPs: Double
    public var stepBackwardFLOPs: Double
    public var steps: Int

    public var totalFLOPs: Double {
        frozenFLOPs + Double(steps + 1) * stepForwardFLOPs + Double(steps) * stepBackwardFLOPs
    }

    /// One training sequence's shape.
    public struct Sequence: Sendable, Codable, Equatable {
        public var promptTokens: Int
        public var targetTokens: Int
        public init(promptTokens: Int, targetTokens: Int) {
            self.promptTokens = promptTokens
            self.targetTokens = targetTokens
        }
    }

    public static func count(model m: LlamaConfiguration, configuration c: EditorConfiguration,
                             batch: [Sequence], steps: Int) -> EditArithmetic {
        let d = Double(m.hiddenSize), f = Double(m.intermediateSize), v = Double(m.vocabularySize)
        let qw = Double(m.queryWidth), kvw = Double(m.kvWidth)
        let first = c.layers.min() ?? 0, blocks = m.layerCount
        let above = Double(blocks - first)
        // Per row: q, k, v, o projections and the three MLP projections.
        let projectionPerRow = 2 * (d * qw + 2 * d * kvw + qw * d + 3 * d * f)
        // Attention of rows at positions `range` (each attends to itself and every earlier position).
        func attention(_ range: Range<Int>) -> Double { range.reduce(0.0) { $0 + 4 * Double($1 + 1) * qw } }
        func blocksCost(_ count: Double, _ range: Range<Int>) -> Double {
            count * (Double(range.count) * projectionPerRow + attention(range))
        }
        var frozen = 0.0, forward = 0.0, backward = 0.0
        for s in batch {
            let t = s.promptTokens + s.targetTokens
            let spanStart = c.adapterSpan == .wholeSequence ? 0 : s.promptTokens - 1
            let rows = Double(t - spanStart)
            frozen += blocksCost(Double(first), 0..<t) + blocksCost(above, 0..<spanStart)
            if c.method == .grace { frozen += blocksCost(Double(first + 1), 0..<s.promptTokens) }
            forward += blocksCost(above, spanStart..<t) + 2 * Double(s.targetTokens) * v * d
            // Above the first adapted block every projection passes its input gradient back, attention twice.
            backward += (above - 1) * (rows * projectionPerRow + 2 * attention(spanStart..<t))
                + 2 * Double(s.targetTokens) * v * d
            let r = Double(c.rank)
            switch c.method {
            case .elder, .elderPaper:
                let lora = 2 * rows * r * (f + d) * Double(c.topK)
                forward += Double(c.layers.count) * lora
                backward += Double(c.layers.count) * 2 * lora
            case .singleLoRA:
                let lora = 2 * rows * r * (f + d)
                forward += Double(c.layers.count) * lora
                backward += Double(c.layers.count) * 2 * lora
            case .fineTuneLayer:
                forward += 2 * rows * d * f
                backward += 2 * rows * d * f
            case .grace:
                break
            }
        }
        return EditArithmetic(frozenFLOPs: frozen, stepForwardFLOPs: forward, stepBackwardFLOPs: backward, steps: steps)
    }

    /// The shapes of the batch `editor` will train `request` on (its prompts, and for the mixture editor the
    /// replayed earlier edits): call before the edit.
    public static func batch(editor: any Editor, request: EditRequest, tokenizer: any Tokenizer) -> [Sequence] {
        let c = editor.configuration
        let target = tokenizer.encode(request.target).count
        var out = ([request.prompt] + request.paraphrases.prefix(c.trainingParaphrases)).map {
            Sequence(promptTokens: tokenizer.encode($0).count, targetTokens: target)
        }
        if let mixture = editor as? MixtureEditor {
            for (e, row) in mixture.plannedReplay(for: request) {
                out.append(Sequence(promptTokens: e.promptLengths[row], targetTokens: e.rows[row].count - e.promptLengths[row]))
            }
        }
        return out
    }
}

/// Times the mixture editor's frozen pass and memory update for `request` by running them alone (the
/// editor's own loop does not time its phases): the batch of the edit's own prompts through `FrozenPass`,
/// then the deferral keys and codes of its own prompts. Call before the edit.
public func mixturePhaseSeconds(editor: MixtureEditor, request: EditRequest) -> (frozenPass: Double, memory: Double) {
    let c = editor.configuration, tokenizer = editor.loaded.tokenizer
    let target = tokenizer.encode(request.target)
    let prompts = ([request.prompt] + request.paraphrases.prefix(c.trainingParaphrases)).map { tokenizer.encode($0) }
    guard !target.isEmpty, prompts.allSatisfy({ !$0.isEmpty }) else { return (0, 0) }
    var sequences = prompts.map { TrainingSequence(prompt: $0, target: target, editID: request.id) }
    sequences += editor.plannedReplay(for: request).map { $0.entry.sequence(row: $0.row) }
    let t0 = cpuSeconds()
    let prepared = sequences.map { editor.frozen.prepare($0) }
    let t1 = cpuSeconds()
    for p in prepared.prefix(prompts.count) {
        _ = editor.normalizedQuery(p.query)
        _ = editor.code(rawQuery: p.query)
    }
    return (t1 - t0, cpuSeconds() - t1)
}
