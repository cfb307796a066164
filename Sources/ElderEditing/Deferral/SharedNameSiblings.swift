/// Which live edits are about the same subject as another, told from their prompts' tokens alone: two edits
/// are siblings when their prompts share a *rare* token — one that no background prompt (the reference and
/// calibration prompts, ordinary text about other things) contains and that few live edits' prompts
/// contain. A subject's name is such a token ("Quillfeather", "Nar|ayan"); a template's words ("capital",
/// "citizenship", "is") are in the background or in many prompts.
///
/// Used by the similarity deferral (`EditorConfiguration.siblingMargin`): a question about a subject with
/// several edits is near all of them, so its margin over the *other* edits is small and the deferral used to
/// stay silent; with siblings left out of the competitors, it fires on the nearest of them.
/// docs/ELDER.md ("Many facts about one subject") has the measurements.
public struct SharedNameSiblings: Sendable {
    /// A token is rare when at most this share of the live edits' prompts hold it (and at least two may).
    public static let maximumShare = 0.02

    private var editsOfToken: [Int: [String]] = [:]
    private var rareTokensOfEdit: [String: [Int]] = [:]

    /// `prompts`: each live edit's prompt tokens; `background`: every token of the background prompts.
    public init(prompts: [(edit: String, tokens: [Int])], background: Set<Int>) {
        var holders: [Int: [String]] = [:]
        for (edit, tokens) in prompts {
            for t in Set(tokens) where !background.contains(t) { holders[t, default: []].append(edit) }
        }
        let limit = max(2, Int(Self.maximumShare * Double(prompts.count)))
        for (token, edits) in holders where edits.count >= 2 && edits.count <= limit {
            editsOfToken[token] = edits
            for e in edits { rareTokensOfEdit[e, default: []].append(token) }
        }
    }

    /// The other edits that share a rare token with `edit`.
    public func siblings(of edit: String) -> Set<String> {
        var out = Set<String>()
        for t in rareTokensOfEdit[edit] ?? [] { out.formUnion(editsOfToken[t] ?? []) }
        out.remove(edit)
        return out
    }
}
