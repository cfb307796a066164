import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder cherry-pick REV`: applies one edit commit of another branch on the current branch.
    struct CherryPick: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cherry-pick",
            abstract: "Apply one edit from another branch on the current branch: a new commit, verified before it is made.",
            discussion: """
                The new commit adds the picked commit's exact delta and its edit (record and codebook entry), \
                with the message "(cherry picked from commit …)" and a Cherry-Picked-From trailer; `elder revert` \
                takes it out again. Only edit commits can be picked (not merges, reverts, or edits that \
                superseded another). Before committing, every live edit is checked on the new model; edits that \
                drop — and the picked edit when it shares all its LoRAs with a live edit — are retrained in a \
                follow-up commit (--no-repair leaves them). An edit already live, or one that gives another answer \
                to a live edit's prompt (same text, or each routed to the other), is refused and nothing is committed.
                Examples:
                  elder cherry-pick experiments     # the edit at the tip of that branch
                  elder cherry-pick 3f2a9c1 --json
                """)

        @Argument(help: ArgumentHelp("The commit of the edit to apply (a branch names its tip).", valueName: "REV"))
        var revision: String

        @Option(name: .shortAndLong, help: "The commit's message (default: the picked edit's message).")
        var message: String?

        @Flag(name: .customLong("no-repair"), help: "Do not retrain edits that drop on the new model.")
        var noRepair = false

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var commit: String
            var branch: String
            var picked: String
            var editIDs: [String]
            /// The picked edits hold on the new model (before any repair).
            var holds: Bool
            var allocationCollisions: [String]
            var sharedSlots: Int
            var totalSlots: Int
            var liveEdits: Int
            var holding: Int
            var dropped: [String]
            var repair: RepairJSON?
            var tip: String
            var stateHash: String
        }

        struct ConflictReport: Encodable {
            var committed = false
            var branch: String
            var picked: String
            var conflicts: [Merge.Conflict]
        }

        func run() throws {
            let console = output.console
            let history = try RepoHistory.open(at: try repo.repoPath())
            let branch = try RepoOptions.currentBranch(of: history.repository)
            _ = try history.resolve(revision)
            let workspace = try repo.openWorkspace()
            let r: CherryPickResult
            do {
                r = try workspace.cherryPick(revision, onto: branch, message: message, repair: !noRepair)
            } catch let WorkspaceError.cherryPickConflicts(_, _, conflicts) {
                try console.emit(ConflictReport(branch: branch, picked: revision, conflicts: conflicts.map(Merge.Conflict.init))) {
                    (["CONFLICT: the picked edit disagrees with \(conflicts.count) live edit\(conflicts.count == 1 ? "" : "s") on \(branch); nothing committed"]
                        + conflicts.map { "  \($0)" }).joined(separator: "\n")
                }
                throw CLIFailure.failure("cherry-picking \(revision) onto \(branch): \(conflicts.count) conflict\(conflicts.count == 1 ? "" : "s"), "
                    + "nothing committed: revert the edit on \(branch) first, or teach the answer there with `elder edit`")
            }
            let picked = Set(r.editIDs)
            let report = Report(
                commit: r.commit.hex, branch: branch, picked: r.picked.hex, editIDs: r.editIDs,
                holds: r.liveEdits.filter { picked.contains($0.editID) }.allSatisfy(\.holds),
                allocationCollisions: r.allocationCollisions, sharedSlots: r.sharedSlots, totalSlots: r.totalSlots,
                liveEdits: r.liveEdits.count, holding: r.liveEdits.count - r.dropped.count, dropped: r.dropped,
                repair: r.repair.map(RepairJSON.init), tip: r.tip.hex, stateHash: r.stateHash)
            let summary = try history.entry(r.commit).summary
            try console.emit(report) {
                var lines = ["[\(branch) \(console.yellow(r.commit.short))] \(summary)"]
                lines.append("  picked edit \(r.editIDs.map(console.cyan).joined(separator: ", ")) from \(r.picked.short): "
                             + (report.holds ? console.green("holds") : console.red("does not hold")) + " on \(branch)")
                if r.totalSlots > 0 {
                    lines.append("  its LoRAs: \(r.sharedSlots) of \(r.totalSlots) also trained by edits of \(branch)"
                                 + (r.allocationCollisions.isEmpty ? "" : "; same allocation as " + r.allocationCollisions.joined(separator: ", ")))
                }
                lines += verificationLines(r, repair: r.repair, hint: "not repaired (--no-repair): `elder revert` or re-edit them", console: console)
                return lines.joined(separator: "\n")
            }
        }
    }
}
