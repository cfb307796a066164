import Elder
import ElderEditing
import ElderStore
import Foundation

/// The page of one commit (an edit's page): its message, the edit record it makes or reverts, the metrics
/// measured when it landed, the other wordings checked then (paraphrases it was trained on, automatic
/// rewordings it was not) and whether each gave the answer, the routing explanation of its prompt at this
/// version, and a form to revert it.
struct CommitContent {
    struct Edit {
        var id: String
        var prompt: String
        var target: String
    }
    struct Wording {
        var prompt: String
        var kind: String
        var holds: Bool
        var tokens: String
    }
    struct Routing {
        var prompt: String
        var answer: String
        var lines: [String]
    }

    var commit: String
    var role: String
    var author: String
    var date: String
    var message: String
    var edit: Edit?
    var metrics: [Fact]
    var hasMetrics: Bool
    var wordings: [Wording]
    var hasWordings: Bool
    var routing: Routing?
    var canRevert: Bool
    var branch: String
    var formID = "revert"

    /// Tokens of the answer the page shows for the edit's prompt.
    static let answerTokens = 12

    static func make(_ workspace: Workspace, commit name: String) throws -> CommitContent {
        guard RevisionName.isAllowed(name) else { throw ReviewProblem.notFound("There is no commit “\(name)”.") }
        let history = workspace.history
        let details: CommitDetails
        do { details = try history.details(of: name) } catch WorkspaceError.unknownRevision {
            throw ReviewProblem.notFound("There is no commit “\(name)”.")
        }
        let entry = details.entry
        var metrics = entry.metrics.sorted { $0.key < $1.key }.map { Fact(key: $0.key, value: $0.value) }
        var wordings: [Wording] = []
        var routing: Routing?
        if let record = details.edit {
            let m = record.metrics
            if details.role == .edit || details.role == .restore {
                metrics += [Fact(key: "Training steps", value: "\(m.iterations), loss \(String(format: "%.3f", m.initialLoss)) → \(String(format: "%.3f", m.finalLoss))"),
                            Fact(key: "Adapter fired on the prompt", value: m.fired ? "yes" : "no")]
            }
            let trained = Set(record.paraphrases)
            for check in m.paraphrases {
                wordings.append(Wording(prompt: check.prompt, kind: trained.contains(check.prompt) ? "paraphrase (trained)" : "paraphrase",
                                        holds: check.exactMatch, tokens: "\(check.tokensCorrect)/\(check.targetTokens) tokens"))
            }
            for check in m.rewordings ?? [] {
                wordings.append(Wording(prompt: check.prompt, kind: "automatic rewording (not trained)", holds: check.exactMatch,
                                        tokens: "\(check.tokensCorrect)/\(check.targetTokens) tokens"))
            }
            let answer = try workspace.ask(record.prompt, at: entry.commit.hex, maxTokens: answerTokens)
            routing = Routing(prompt: record.prompt, answer: answer.text, lines: RoutingDescription.lines(answer.routing))
        }
        // A change on main (or the branch given) can be reverted from here; the server checks it again.
        let branch = "main"
        let onMain: Bool = {
            guard let tip = try? workspace.store.tip(of: branch) else { return false }
            return tip == entry.commit || ((try? workspace.store.repository.isDescendant(tip, of: entry.commit)) ?? false)
        }()
        let revertible = [.edit, .revert, .restore].contains(details.role)
        return CommitContent(commit: entry.commit.hex, role: details.role.rawValue, author: "\(entry.author.name) <\(entry.author.email)>",
                             date: PageDate.text(entry.time), message: Self.withoutTrailers(entry.message),
                             edit: details.edit.map { Edit(id: $0.id, prompt: $0.prompt, target: $0.target) },
                             metrics: metrics, hasMetrics: !metrics.isEmpty, wordings: wordings, hasWordings: !wordings.isEmpty,
                             routing: routing, canRevert: revertible && onMain, branch: branch)
    }

    /// The message a person wrote: the commit message without its closing block of `Key: value` trailers
    /// (the page lists those as metrics).
    static func withoutTrailers(_ message: String) -> String {
        var paragraphs = message.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: "\n\n")
        guard paragraphs.count > 1, let last = paragraphs.last else { return message }
        let isTrailer = { (line: Substring) in
            guard let colon = line.firstIndex(of: ":"), colon > line.startIndex else { return false }
            return line[..<colon].allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
        }
        if last.split(separator: "\n").allSatisfy(isTrailer) { paragraphs.removeLast() }
        return paragraphs.joined(separator: "\n\n")
    }
}
