/// Rewordings of a prompt made by fixed rules, for edits given as a prompt and a target alone (the way a
/// person types `elder edit PROMPT TARGET`): the 135M model cannot paraphrase, so variation comes from
/// frames around the prompt that keep its words and its end (the answer still follows the last word), and
/// from rules of English word order for prompts of the shape "The CEO of Acme is": the subject first
/// ("Acme's CEO is"), the fact as a labelled field ("Acme, CEO:"), the fact as a question and its answer
/// ("Q: What is the CEO of Acme?\nA:").
///
/// Two disjoint families: `training` frames are trained on beside the prompt; `checks` frames are never
/// trained on, so `elder edit` can say how an edit carries over to wordings it did not see. Neither is
/// written from, or fitted to, any benchmark's held-out templates: they know nothing of relations.
public enum PromptRewording {
    /// Frames trained with the prompt, in the order they are used: context before the sentence, and the
    /// sentence as the answer to a question.
    public static let trainingFrames: [Frame] = [
        .subjectFirst, .field, .question, .prefix("Fact: "), .prefix("Here is what we know. "), .lowercasedPrefix("Note that "),
        .prefix("Q: Complete the sentence.\nA: "), .lowercasedPrefix("According to the records, "),
        .prefix("Update: "), .lowercasedPrefix("It is true that "), .prefix("From the FAQ: "),
    ]

    /// Frames `elder edit` checks an edit on after training (never trained on).
    public static let checkFrames: [Frame] = [
        .lowercasedPrefix("As far as I know, "), .prefix("Quick answer: "), .lowercasedPrefix("In short, "),
    ]

    /// A way to put a prompt in other words without changing where it ends.
    public enum Frame: Sendable, Equatable {
        /// Text before the prompt, the prompt as it is.
        case prefix(String)
        /// Text before the prompt, the prompt's first letter lowercased when its first word is an article or
        /// a pronoun ("The CEO …" → "Note that the CEO …"); names keep their capitals.
        case lowercasedPrefix(String)
        /// "The RELATION of SUBJECT is" → "SUBJECT's RELATION is" (`PromptRewording.subjectFirst`); nil when
        /// the prompt has another shape.
        case subjectFirst
        /// "The RELATION of SUBJECT is" → "Q: What is the RELATION of SUBJECT?\nA:"; nil for another shape.
        case question
        /// "The RELATION of SUBJECT is" → "SUBJECT, RELATION:"; nil for another shape.
        case field

        public func apply(_ prompt: String) -> String? {
            switch self {
            case .prefix(let text): return text + prompt
            case .lowercasedPrefix(let text): return text + PromptRewording.lowercasingArticle(prompt)
            case .subjectFirst: return PromptRewording.subjectFirst(prompt)
            case .question: return PromptRewording.question(prompt)
            case .field: return PromptRewording.field(prompt)
            }
        }
    }

    static let linkingVerbs: Set<String> = ["is", "was", "are", "were"]

    /// The parts of "The RELATION of SUBJECT VERB" (VERB one of is/was/are/were): SUBJECT starts at the first
    /// word after an "of" that begins with a capital letter (so "The capital of France" splits at "France",
    /// "The CEO of Acme" at "Acme"); nil when there is no such word, no relation before it or no linking
    /// verb at the end. A rule of English word order, not of any relation.
    static func relationOfSubject(_ prompt: String) -> (relation: String, subject: String, verb: String)? {
        let words = prompt.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard words.count >= 5, words[0] == "The" || words[0] == "the", let verb = words.last,
              linkingVerbs.contains(verb) else { return nil }
        let middle = Array(words[1..<(words.count - 1)])
        // From index 2 on, so that at least one word of relation stands before the "of".
        guard let start = middle.indices.dropFirst(2).first(where: { middle[$0 - 1] == "of" && (middle[$0].first?.isUppercase ?? false) })
        else { return nil }
        let relation = middle[..<(start - 1)].joined(separator: " ")
        let subject = middle[start...].joined(separator: " ")   // not empty: its first word has a capital
        guard !relation.isEmpty else { return nil }
        return (relation, subject, verb)
    }

    /// The possessive word order: "The country of citizenship of Ada Lovelace is" → "Ada Lovelace's country
    /// of citizenship is".
    static func subjectFirst(_ prompt: String) -> String? {
        guard let (relation, subject, verb) = relationOfSubject(prompt) else { return nil }
        let possessive = subject.hasSuffix("s") ? subject + "'" : subject + "'s"
        return "\(possessive) \(relation) \(verb)"
    }

    /// The fact asked and answered: "The CEO of Acme was" → "Q: What was the CEO of Acme?\nA:".
    static func question(_ prompt: String) -> String? {
        guard let (relation, subject, verb) = relationOfSubject(prompt) else { return nil }
        return "Q: What \(verb) the \(relation) of \(subject)?\nA:"
    }

    /// The fact as a labelled field: "The CEO of Acme is" → "Acme, CEO:".
    static func field(_ prompt: String) -> String? {
        guard let (relation, subject, _) = relationOfSubject(prompt) else { return nil }
        return "\(subject), \(relation):"
    }

    /// The first `count` training rewordings of `prompt` (different from it and from each other).
    public static func training(_ prompt: String, count: Int) -> [String] {
        distinct(trainingFrames.compactMap { $0.apply(prompt) }, excluding: prompt).prefix(max(0, count)).map { $0 }
    }

    /// The check rewordings of `prompt`.
    public static func checks(_ prompt: String) -> [String] {
        distinct(checkFrames.compactMap { $0.apply(prompt) }, excluding: prompt)
    }

    static let articles: Set<String> = ["The", "A", "An", "This", "That", "These", "Those", "Its", "His", "Her", "Their", "Our", "My"]

    static func lowercasingArticle(_ prompt: String) -> String {
        guard let first = prompt.split(separator: " ", maxSplits: 1).first, articles.contains(String(first)) else { return prompt }
        return first.lowercased() + prompt.dropFirst(first.count)
    }

    private static func distinct(_ texts: [String], excluding prompt: String) -> [String] {
        var seen: Set<String> = [prompt]
        return texts.filter { seen.insert($0).inserted }
    }
}
