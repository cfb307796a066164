import ElderModel
import ElderTensor

/// The baselines that act on every token of every input, with no deferral (FT-L, one LoRA): one body of
/// `edit`; each supplies its trainable tensors and its `down_proj` adapter.
protocol AlwaysActingEditor: ProfiledEditor, AnyObject {
    var configuration: EditorConfiguration { get }
    var adapter: AdapterState { get set }
    var memory: EditMemory { get set }
    var lastProfile: EditProfile? { get set }
    var loaded: LoadedModel { get }
}

extension AlwaysActingEditor {
    /// Checks the request, trains `trainable` of the adapter in place with `makeAdapter` (`BaselineTrainer`),
    /// keeps the training rows as the edit's memory entry and times the phases (`lastProfile`).
    func train(_ request: EditRequest, trainable: Set<String>,
               makeAdapter: (Tape, @escaping (String) -> Variable) -> DownProjAdapter) throws -> EditOutcome {
        guard memory.entry(request.id) == nil else { throw EditError.duplicateEdit(id: request.id) }
        let (prompts, target) = try validatedBatch(request, tokenizer: loaded.tokenizer,
                                                   paraphrases: configuration.trainingParaphrases,
                                                   contextLength: loaded.configuration.contextLength)
        var parameters = adapter.tensors
        adapter.tensors = [:]
        let trainer = BaselineTrainer(model: loaded.model, configuration: configuration)
        let result = trainer.train(sequences: prompts.map { TrainingSequence(prompt: $0, target: target, editID: request.id) },
                                   parameters: &parameters, trainable: trainable, makeAdapter: makeAdapter)
        adapter.tensors = parameters
        let t = cpuSeconds()
        memory.entries.append(plainEntry(id: request.id, prompts: prompts, target: target))
        lastProfile = EditProfile(frozenPassSeconds: result.frozenSeconds, stepsSeconds: result.stepsSeconds,
                                  memorySeconds: cpuSeconds() - t)
        return EditOutcome(editID: request.id, iterations: result.iterations, initialLoss: result.initialLoss,
                           finalLoss: result.finalLoss, converged: result.converged, changedTensors: result.touched.sorted())
    }
}

/// `base` with `extra` added to rows `fromRow...` (earlier rows keep their bits).
func addRows(_ base: Tensor, _ extra: Tensor, fromRow: Int) -> Tensor {
    var out = base
    let d = base.lastDimension
    for i in (max(0, fromRow) * d)..<base.count { out.scalars[i] += extra.scalars[i] }
    return out
}
