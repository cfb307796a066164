import ElderEditing
import ElderModel
import Foundation

/// How one prompt answers a target on a given state: teacher-forced exact match of every target token,
/// and whether the adapter fired (and for which edit).
public struct PromptCheck: Codable, Sendable, Equatable {
    public var prompt: String
    /// Every target token is the argmax when the target is fed (teacher forcing).
    public var exactMatch: Bool
    /// Target tokens that are the argmax, of `targetTokens`.
    public var tokensCorrect: Int
    public var targetTokens: Int
    public var fired: Bool
    public var matchedEdit: String?
}

/// What an edit measured on the committed state (the state every rebuild returns).
public struct EditMetrics: Codable, Sendable, Equatable {
    /// Exact match on the edit's prompt: 1 or 0.
    public var reliability: Double
    public var fired: Bool
    public var prompt: PromptCheck
    /// One check per training paraphrase.
    public var paraphrases: [PromptCheck]
    /// Mean exact match over the training paraphrases (nil when there are none).
    public var paraphraseReliability: Double?
    public var iterations: Int
    public var initialLoss: Float
    public var finalLoss: Float
    /// The trained state (before compaction) gave the target on the prompt.
    public var trainedReliability: Double
    /// Times the edit was trained again on the compacted state because compaction had broken it.
    public var compactionRetries: Int
    /// The committed state still gives the target (false = compaction broke the edit and retraining did not mend it).
    public var survivedCompaction: Bool
    /// Root-mean-square of the compaction remainder (dropped, see `Workspace.edit`) and of the update.
    public var remainderRMS: Double
    public var updateRMS: Double
    public var changedTensors: Int
    /// Checks on automatic rewordings of the prompt that no edit trains on (`PromptRewording.checks`): how
    /// the edit carries over to other wordings when the person gave none. nil in records made before.
    public var rewordings: [PromptCheck]? = nil
    /// Mean exact match over `rewordings`.
    public var rewordingReliability: Double? = nil
    /// How the edited answer to the prompt reads after the target, beside the base model's own
    /// continuation (`AnswerFluency`). nil in records made before it was measured.
    public var fluency: AnswerFluency? = nil
}

/// The edit's greedy answer to its own prompt set beside the base model's greedy continuation of
/// prompt + target: does the answer go on as the model itself would after the target, or stutter
/// ("Spain Spain")? The tokens compared are `FluencyCheck`'s.
public struct AnswerFluency: Codable, Sendable, Equatable {
    /// The edited model's greedy answer (target plus `FluencyCheck.continuationLength` tokens at most).
    public var answer: String
    /// The base model's greedy continuation of prompt + target (empty when the answer missed the target).
    public var baseContinuation: String
    public var check: FluencyCheck

    /// The check in words: "goes on as the model's own", "repeats the target · goes on differently from
    /// the model's own (\" , the capital\")", "does not start with the target".
    /// Then the share of the answer's token bigrams that repeat an earlier one ("repeated bigrams 0 %").
    public var verdict: String {
        let repeated = String(format: "repeated bigrams %.0f %%", check.repeatedBigramRate * 100)
        guard check.answered else { return "does not start with the target · " + repeated }
        if check.continuationAgrees { return "goes on as the model's own · " + repeated }
        return (check.repeatsTarget ? "repeats the target · " : "")
            + "goes on differently from the model's own (\"\(Self.oneLine(baseContinuation))\") · " + repeated
    }

    /// `text` with its line breaks shown as \n, for a one-line display.
    public static func oneLine(_ text: String) -> String { text.replacingOccurrences(of: "\n", with: "\\n") }
}

/// Measures prompts against targets on an editor's state.
struct Measurer {
    let model: LoadedModel

    func check(editor: any Editor, prompt: String, target: String) -> PromptCheck {
        check(editor: editor, prompt: prompt, targetTokens: model.tokenizer.encode(target))
    }

    /// As above with the target as tokens (e.g. a greedy answer, which re-encoding its text may not give back).
    func check(editor: any Editor, prompt: String, targetTokens t: [Int]) -> PromptCheck {
        let p = model.tokenizer.encode(prompt)
        let edited = EditedModel(editor: editor, model: model.model)
        let (logits, routing) = edited.answerLogits(prompt: p, answer: t)
        var correct = 0
        for i in 0..<t.count where argmax(logits.row(i)) == t[i] { correct += 1 }
        return PromptCheck(prompt: prompt, exactMatch: !t.isEmpty && correct == t.count, tokensCorrect: correct,
                           targetTokens: t.count, fired: routing.fired, matchedEdit: routing.matchedEdit)
    }

    /// Greedy continuation text and the routing decision.
    func greedy(editor: any Editor, prompt: String, maxTokens: Int) -> (text: String, tokens: [Int], routing: RoutingExplanation?) {
        let edited = EditedModel(editor: editor, model: model.model)
        let out = edited.greedy(prompt: model.tokenizer.encode(prompt), maxTokens: maxTokens, stop: model.stopTokenIDs)
        return (model.tokenizer.decode(out), out, edited.routing)
    }

    /// The greedy answer to `prompt` on the editor's state, and the base model's greedy continuation of
    /// prompt + target when the answer starts with the target.
    func fluency(editor: any Editor, prompt: String, target: String) -> AnswerFluency {
        let t = model.tokenizer.encode(target)
        let answer = greedy(editor: editor, prompt: prompt, maxTokens: t.count + FluencyCheck.continuationLength)
        var check = FluencyCheck(generated: answer.tokens, target: t, base: [])
        var base: [Int] = []
        if check.answered {
            let options = GenerationOptions(maxTokens: FluencyCheck.continuationLength)
            base = TextGenerator(model).generate(tokens: model.tokenizer.encode(prompt) + t, options: options).tokenIDs
            check = FluencyCheck(generated: answer.tokens, target: t, base: base)
        }
        return AnswerFluency(answer: answer.text, baseContinuation: model.tokenizer.decode(base), check: check)
    }
}
