import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder revert REV`: undo one edit (or one revert) and keep every other, verified before committing.
    struct Revert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Undo one edit and keep the rest: a new commit, verified before it is made.",
            discussion: """
                The new commit takes the edit's exact delta back out and drops it from the codebook. Before \
                committing, Elder checks that the reverted prompt answers as it did before the edit, and \
                that every other live edit still holds. Edits that drop are listed; --repair retrains them \
                in a follow-up commit (the revert itself stays exact). Reverting a revert restores the edit.
                Examples:
                  elder revert HEAD
                  elder revert 3f2a9c1 --repair
                  elder revert HEAD~2 -m "The old answer was right" --json
                """)

        @Argument(help: ArgumentHelp("The commit of the edit (or revert) to undo.", valueName: "REV"))
        var revision: String

        @Option(name: .shortAndLong, help: "The revert commit's message (default: Revert \"SUMMARY\").")
        var message: String?

        @Flag(name: .long, help: "Retrain live edits that no longer hold after the revert, in a follow-up commit.")
        var repair = false

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Check: Encodable {
            var editID: String
            var target: String
            var holds: Bool
        }

        struct Report: Encodable {
            var commit: String
            var branch: String
            var revertedCommit: String
            var editID: String
            var restoresEdit: Bool
            /// Edits put back because the reverted commit had superseded them (empty otherwise).
            var restoredEdits: [String]
            var prompt: String
            var target: String
            var answerBefore: String
            var answerAfter: String
            var answersAsBefore: Bool
            var liveEdits: [Check]
            var dropped: [String]
            var repair: RepairJSON?
            var stateHash: String
        }

        /// A generated text in quotes on one line (newlines shown as \\n).
        static func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\n", with: "\\n") + "\""
        }

        func run() throws {
            let console = output.console
            let history = try RepoHistory.open(at: try repo.repoPath())
            let branch = try RepoOptions.currentBranch(of: history.repository)
            _ = try history.resolve(revision)
            let workspace = try repo.openWorkspace()
            let r = try workspace.revert(revision, on: branch, message: message, repair: repair)
            let p = r.revertedPrompt
            let report = Report(
                commit: r.commit.hex, branch: branch, revertedCommit: r.revertedCommit.hex, editID: r.editID,
                restoresEdit: r.restoresEdit, restoredEdits: r.restoresEdit ? [] : r.restoredEdits, prompt: p.prompt, target: p.target, answerBefore: p.beforeText,
                answerAfter: p.afterText, answersAsBefore: p.answersAsBefore,
                liveEdits: r.liveEdits.map { Check(editID: $0.editID, target: $0.target, holds: $0.holds) },
                dropped: r.dropped,
                repair: r.repair.map(RepairJSON.init),
                stateHash: r.stateHash)
            let summary = try history.entry(r.commit).summary
            try console.emit(report) {
                var lines = ["[\(branch) \(console.yellow(r.commit.short))] \(summary)"]
                let what = r.restoresEdit ? "restored edit" : "reverted edit"
                let same = p.answersAsBefore ? console.green("as before the edit") : console.red("NOT as before the edit")
                lines.append("  \(what) \(console.cyan(r.editID)): \"\(p.prompt)\" now answers \(Self.quoted(p.afterText)) "
                             + "(\(same): \(Self.quoted(p.beforeText)))")
                if !r.restoresEdit, !r.restoredEdits.isEmpty {
                    lines.append("  restored edit \(r.restoredEdits.map(console.cyan).joined(separator: ", ")), which it had superseded")
                }
                lines += verificationLines(r, repair: r.repair, hint: "to retrain those, revert with --repair, or edit them again", console: console)
                return lines.joined(separator: "\n")
            }
        }
    }
}
