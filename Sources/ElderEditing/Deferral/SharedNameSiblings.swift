/// Which live edits are about the same subject as another, told from their prompts' tokens alone. A token
/// of a prompt is *rare* when no background prompt (the reference and calibration prompts, ordinary text
/// about other things) contains it and few live edits' prompts do: a subject's name ("Quillfeather",
/// "Nar|ayan") is rare, a template's words ("capital", "citizenship", "is") are not. Two edits are
/// siblings when at least half of the rare tokens of their two prompts are shared (Jaccard ≥ 1/2): the
/// same subject gives the same rare tokens, while two subjects sharing a first name share one of several.
///
/// Used by the similarity deferral (`EditorConfiguration.siblingMargin`): a question about a subject with
/// several edits is near all of them, so its margin over the *other* edits is small and the deferral used to
/// stay silent; with siblings left out of the competitors, it fires on the nearest of them.
/// docs/ELDER.md ("Many facts about one subject") has the measurements.
public struct SharedNameSiblings: Sendable {
    /// A token is rare when at most this share of the live edits' prompts hold it (and at least two may).
    public static let maximumShare = 0.02

    /// Shared rare tokens over all rare tokens of the two prompts, at least.
    public static let minimumOverlap = 0.5

    private var editsOfToken: [Int: [String]] = [:]
    private var rareTokensOfEdit: [String: Set<Int>] = [:]

    /// `prompts`: each live edit's prompt tokens; `background`: every token of the background prompts.
    public init(prompts: [(edit: String, tokens: [Int])], background: Set<Int>) {
        var holders: [Int: [String]] = [:]
        for (edit, tokens) in prompts {
            for t in Set(tokens) where !background.contains(t) { holders[t, default: []].append(edit) }
        }
        let limit = max(2, Int(Self.maximumShare * Double(prompts.count)))
        for (token, edits) in holders where edits.count <= limit {
            if edits.count >= 2 { editsOfToken[token] = edits }
            for e in edits { rareTokensOfEdit[e, default: []].insert(token) }
        }
    }

    /// The other edits whose prompts share at least half of the two prompts' rare tokens with `edit`'s.
    public func siblings(of edit: String) -> Set<String> {
        guard let mine = rareTokensOfEdit[edit] else { return [] }
        var candidates = Set<String>()
        for t in mine { candidates.formUnion(editsOfToken[t] ?? []) }
        candidates.remove(edit)
        return candidates.filter { other in
            let theirs = rareTokensOfEdit[other] ?? []
            let shared = mine.intersection(theirs).count
            return Double(shared) >= Self.minimumOverlap * Double(mine.union(theirs).count)
        }
    }
}
