import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder log [REV]`: the commits reachable from a revision, newest first, with their edits and metrics.
    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List commits: each edit, revert and merge, newest first.",
            discussion: """
                The same commits as `git log` shows in the repo, with the edit each makes and the metrics \
                measured when it was committed (Reliability 1 = the committed model gives the target).
                Examples:
                  elder log
                  elder log --oneline -n 10
                  elder log experiments --json
                  elder log --first-parent      # the branch's own line: merges, not the merged commits
                """)

        @Argument(help: ArgumentHelp("Where to start (default HEAD).", valueName: "REV"))
        var revision: String = "HEAD"

        @Option(name: [.customShort("n"), .customLong("max-count")], help: ArgumentHelp("Show at most N commits.", valueName: "N"))
        var limit: Int?

        @Flag(name: .long, help: "One line per commit: short id, refs, summary.")
        var oneline = false

        @Flag(name: .long, help: "Follow only the first parent of merges (as git log --first-parent).")
        var firstParent = false

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Entry: Encodable {
            var commit: String
            var parents: [String]
            var refs: [String]
            var author: String
            var email: String
            var time: Int64
            var summary: String
            var message: String
            var editID: String?
            var metrics: [String: String]
            var stateHash: String

            init(_ e: LogEntry, refs: [String]) {
                commit = e.commit.hex
                parents = e.parents.map(\.hex)
                self.refs = refs
                author = e.author.name
                email = e.author.email
                time = e.time
                summary = e.summary
                message = e.message
                editID = e.editID
                metrics = e.metrics
                stateHash = e.stateHash
            }
        }

        struct Report: Encodable {
            var commits: [Entry]
        }

        func validate() throws {
            if let limit, limit < 0 { throw ValidationError("-n must be 0 or more") }
        }

        func run() throws {
            let console = output.console
            let history = try RepoHistory.open(at: try repo.repoPath())
            let entries = try history.log(revision, limit: limit ?? .max, firstParent: firstParent)
            let decorations = try history.decorations()
            let report = Report(commits: entries.map { Entry($0, refs: decorations[$0.commit] ?? []) })
            try console.emit(report) {
                entries.map { e in
                    let refs = decorations[e.commit].map { " (" + $0.map(console.cyan).joined(separator: ", ") + ")" } ?? ""
                    if oneline {
                        let replaced = e.metrics["Supersedes"].map { " " + console.dim("(supersedes \($0))") } ?? ""
                        return console.yellow(e.commit.short) + refs + " " + e.summary + Self.badge(e, console: console) + replaced
                    }
                    return Self.full(e, refs: refs, console: console)
                }.joined(separator: oneline ? "\n" : "\n\n")
            }
        }

        /// " [holds]" / " [does not hold]" after an edit's summary line, from its Reliability trailer.
        static func badge(_ e: LogEntry, console: Console) -> String {
            if e.depth < 0 { return " " + console.red("[not an Elder commit]") }
            guard e.metrics["Reliability"] != nil || e.metrics["Live-Edits-Holding"] != nil else { return "" }
            if let r = e.metrics["Reliability"].flatMap(Double.init) {
                return " " + (r >= 1 ? console.green("[holds]") : console.red("[does not hold]"))
            }
            return e.metrics["Live-Edits-Holding"].map { " " + console.dim("[\($0) hold]") } ?? ""
        }

        /// A commit as `git log` prints it: id and refs, author, date, the indented message.
        static func full(_ e: LogEntry, refs: String, console: Console) -> String {
            var lines = [console.yellow("commit \(e.commit.hex)") + refs]
            if e.parents.count > 1 { lines.append("Merge: " + e.parents.map(\.short).joined(separator: " ")) }
            lines.append("Author: \(e.author.name) <\(e.author.email)>")
            lines.append("Date:   " + date(e.time, offsetMinutes: e.author.offsetMinutes))
            lines.append("")
            var message = e.message
            while message.hasSuffix("\n") { message.removeLast() }
            lines += message.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "    " + $0 }
            return lines.joined(separator: "\n")
        }

        static func date(_ seconds: Int64, offsetMinutes: Int32) -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "EEE MMM d HH:mm:ss yyyy Z"
            formatter.timeZone = TimeZone(secondsFromGMT: Int(offsetMinutes) * 60)
            return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        }
    }
}
