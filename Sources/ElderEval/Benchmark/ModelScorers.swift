import ElderEditing
import ElderModel
import ElderRecords
import ElderTensor

/// The base model under teacher forcing.
public struct BaseModelScorer: TeacherForcedScorer {
    public let model: LlamaModel

    public init(model: LlamaModel) { self.model = model }

    public func argmaxTokens(prompt: [Int], target: [Int]) throws -> [Int] {
        answerArgmax(model.answerLogits(prompt: prompt, answer: target))
    }
}

/// The base model plus an editor, as a user would query it (routing decided from the prompt).
public struct EditedModelScorer: TeacherForcedScorer {
    public let edited: EditedModel

    public init(edited: EditedModel) { self.edited = edited }

    public func argmaxTokens(prompt: [Int], target: [Int]) throws -> [Int] {
        answerArgmax(edited.answerLogits(prompt: prompt, answer: target).logits)
    }
}

/// The argmax of each row of answer logits [answer length, V].
func answerArgmax(_ logits: Tensor) -> [Int] {
    (0..<logits.rowCount).map { argmax(logits.row($0)) }
}

/// The base model generating greedily: `TextGenerator`'s loop (the one `elder generate` and `elder edit`'s
/// base continuation run), stopping at the model's end-of-text tokens.
public struct BaseModelGenerator: GreedyGenerator {
    public let generator: TextGenerator
    public init(model: LoadedModel) { generator = TextGenerator(model) }

    public func greedy(prompt: [Int], maxTokens: Int) throws -> [Int] {
        generator.generate(tokens: prompt, options: GenerationOptions(maxTokens: maxTokens)).tokenIDs
    }
}

/// The edited model generating greedily (the adapter stops after a taught answer, as `elder ask` does).
public struct EditedModelGenerator: GreedyGenerator {
    public let edited: EditedModel
    public let stop: Set<Int>
    public init(edited: EditedModel, stop: Set<Int>) { self.edited = edited; self.stop = stop }

    public func greedy(prompt: [Int], maxTokens: Int) throws -> [Int] {
        edited.greedy(prompt: prompt, maxTokens: maxTokens, stop: stop)
    }
}

/// The model's tokenizer as the metrics' encoder.
public struct TokenizerEncoder: TextEncoder {
    public let tokenizer: any Tokenizer
    public init(tokenizer: any Tokenizer) { self.tokenizer = tokenizer }
    public func encode(_ text: String) throws -> [Int] { tokenizer.encode(text) }
}

/// Any `Editor` as the lifelong benchmark's editing method.
public final class EditorUnderTest: LifelongEditor {
    public let editor: any Editor
    public let edited: EditedModel
    /// Tokens that end a greedy answer (the model's end-of-text tokens), for the fluency check.
    public let stop: Set<Int>
    /// What training each edit did, in order (restored runs hold the outcomes saved with their state).
    public var outcomes: [EditOutcome] = []

    public init(editor: any Editor, model: LlamaModel, stop: Set<Int> = []) {
        self.editor = editor
        self.edited = EditedModel(editor: editor, model: model)
        self.stop = stop
    }

    public var generator: GreedyGenerator? { EditedModelGenerator(edited: edited, stop: stop) }

    public var parameterCount: Int? { editor.adapter.parameterCount }

    public func apply(_ edit: EditRecord) throws {
        let request = EditRequest(id: edit.id ?? edit.prompt, prompt: edit.prompt, target: edit.target,
                                  paraphrases: edit.paraphrases, label: edit.target)
        outcomes.append(try editor.edit(request))
    }

    public var scorer: TeacherForcedScorer { EditedModelScorer(edited: edited) }
}
