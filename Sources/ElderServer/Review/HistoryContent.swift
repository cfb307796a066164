import Elder
import ElderStore
import Foundation

/// The History page: the log of a branch (or any version), newest first, each commit with the edit it makes
/// or reverts (prompt → answer), its message, author and date, whether it held when it landed; reverts and
/// merges marked; filtered by a text.
struct HistoryContent {
    struct Row {
        var commit: String
        var short: String
        var isRevert = false
        var isMerge = false
        var isRestore = false
        var prompt: String?
        var target: String?
        var summaryLine: String
        var holdsKnown = false
        var holds = false
        var holdsText = ""
        var author: String
        var date: String
        /// Lower-cased text the filter searches.
        var haystack: String
    }

    var branch: String
    var query: String
    var rows: [Row]
    var matching: Int
    var summary: String
    var more: Bool
    var moreLink: String
    var versions: [String]
    /// The branch is a proposal (`proposal/…`): the page offers to approve it.
    var proposal: Bool
    var formID = "approve"

    /// Rows shown unless the page asks for more (`limit`).
    static let defaultLimit = 100
    static let maxLimit = 100_000

    static func make(_ history: RepoHistory, branch: String, query: String, limit: Int) throws -> HistoryContent {
        guard RevisionName.isAllowed(branch) else { throw ReviewProblem.notFound("There is no version named “\(branch)”.") }
        let tip: ObjectID
        do { tip = try history.resolve(branch) } catch WorkspaceError.unknownRevision {
            throw ReviewProblem.notFound("There is no version named “\(branch)”.")
        }
        let needle = query.lowercased()
        var rows: [Row] = [], matching = 0, total = 0
        for id in try history.repository.log(from: tip) {
            total += 1
            // Without a filter only the rows shown are read; the others are only counted.
            if needle.isEmpty, rows.count >= limit {
                matching += 1
                continue
            }
            let row = try Self.row(history, id)
            guard needle.isEmpty || row.haystack.contains(needle) else { continue }
            matching += 1
            if rows.count < limit { rows.append(row) }
        }
        let versions = try RevisionName.listed(history)
        var link = URLComponents()
        link.path = "/history"
        link.queryItems = [URLQueryItem(name: "branch", value: branch), URLQueryItem(name: "q", value: query),
                           URLQueryItem(name: "limit", value: "\(maxLimit)")]
        let summary = needle.isEmpty ? "\(total) commits on \(branch)." : "\(matching) of \(total) commits on \(branch) match “\(query)”."
        return HistoryContent(branch: branch, query: query, rows: rows, matching: matching,
                              summary: summary + (rows.count < matching ? " Showing the newest \(rows.count)." : ""),
                              more: rows.count < matching, moreLink: link.string ?? "/history", versions: versions,
                              proposal: branch.hasPrefix(ProposalBranch.prefix) && (try? history.store.tip(of: branch)) != nil)
    }

    /// One commit: what it does (from its trailers) and the edit record it makes, restores or reverts.
    static func row(_ history: RepoHistory, _ id: ObjectID) throws -> Row {
        let entry = try history.entry(id)
        var row = Row(commit: id.hex, short: id.short, summaryLine: entry.summary, author: entry.author.name,
                      date: PageDate.text(entry.time), haystack: "")
        let reverted = entry.metrics["Reverted-Edit"], restored = entry.metrics["Restored-Edit"]
        var recordAt: ObjectID? = id
        if entry.parents.count > 1 {
            row.isMerge = true
            recordAt = nil
            if let holding = entry.metrics["Live-Edits-Holding"] { row.mark(holding: holding) }
        } else if entry.metrics["Reverts"] != nil {
            if reverted == nil, restored != nil { row.isRestore = true } else {
                row.isRevert = true
                recordAt = entry.parents.first
            }
            if let same = entry.metrics["Answers-As-Before"] {
                row.holdsKnown = true
                row.holds = same == "yes"
                row.holdsText = row.holds ? "answers as before" : "answers differently than before"
            }
        } else if let reliability = entry.metrics["Reliability"] {
            row.holdsKnown = true
            row.holds = reliability == "1.000" && entry.metrics["Compaction-Broke-Edit"] == nil
            row.holdsText = row.holds ? "holds" : "does not hold"
        }
        if let editID = entry.editID, let at = recordAt, let record = try history.editRecord(editID, at: at) {
            row.prompt = record.prompt
            row.target = record.target
        }
        row.haystack = [entry.message, row.prompt ?? "", row.target ?? "", entry.author.name, entry.editID ?? "", id.hex]
            .joined(separator: "\n").lowercased()
        return row
    }
}

extension HistoryContent.Row {
    mutating func mark(holding: String) {
        let parts = holding.split(separator: "/")
        guard parts.count == 2 else { return }
        holdsKnown = true
        holds = parts[0] == parts[1]
        holdsText = "\(holding) live edits hold"
    }
}

/// Proposal branches: where the Propose page trains an edit until someone approves it.
enum ProposalBranch {
    static let prefix = "proposal/"

    static func name(editID: String) -> String { prefix + editID }
}
