import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder merge BRANCH`: brings another branch's edits into the current branch.
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge another branch's edits into the current branch.",
            discussion: """
                Fast-forwards when the current branch is behind; otherwise writes a merge commit whose adapter \
                is exactly ours + (theirs − merge base) and whose live edits are both sides'. Every live edit is \
                then checked on the merged model; edits that no longer hold are retrained in a follow-up commit \
                (--no-repair leaves them). Two edits, one per side, that give different answers to one prompt \
                (same text, or each routed to the other by the deferral) are a conflict: nothing is committed \
                and the command exits 1, unless --prefer says whose edit to keep.
                Examples:
                  elder merge experiments
                  elder merge experiments --prefer theirs --json
                """)

        @Argument(help: ArgumentHelp("The branch (or any revision) to merge.", valueName: "BRANCH"))
        var branch: String

        @Option(name: .long, help: ArgumentHelp("Resolve conflicts by keeping this side's edit and dropping the other's.",
                                                valueName: "ours|theirs"))
        var prefer: MergePreference?

        @Flag(name: .customLong("no-repair"), help: "Do not retrain edits that drop on the merged model.")
        var noRepair = false

        @Option(name: .shortAndLong, help: "The merge commit's message (default: Merge 'BRANCH' into CURRENT).")
        var message: String?

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Side: Encodable {
            var editID: String
            var prompt: String
            var target: String
            var commit: String?
        }

        struct Conflict: Encodable {
            var prompt: String
            var reason: String
            var ours: Side
            var theirs: Side

            init(_ c: MergeConflict) {
                func side(_ e: ConflictingEdit) -> Side {
                    Side(editID: e.editID, prompt: e.prompt, target: e.target, commit: e.commit?.hex)
                }
                prompt = c.prompt
                reason = c.reason.rawValue
                ours = side(c.ours)
                theirs = side(c.theirs)
            }
        }

        struct Report: Encodable {
            var kind: String
            var branch: String
            var theirs: String
            var tip: String
            var mergeCommit: String?
            var base: String?
            var oursAdded: [String]
            var theirsAdded: [String]
            var removed: [String]
            var preference: String?
            var resolved: [Conflict]
            var droppedByPreference: [String]
            var allocationCollisions: Int
            var sharedSlots: Int
            var totalSlots: Int
            var liveEdits: Int
            var holding: Int
            var dropped: [String]
            var repair: RepairJSON?
        }

        struct ConflictReport: Encodable {
            var committed = false
            var branch: String
            var theirs: String
            var conflicts: [Conflict]
        }

        func run() throws {
            let console = output.console
            let workspace = try repo.openWorkspace()
            let current = try RepoOptions.currentBranch(of: workspace.store.repository)
            let result: MergeResult
            do {
                result = try workspace.merge(branch, into: current, message: message, prefer: prefer, repair: !noRepair)
            } catch WorkspaceError.mergeConflicts(_, _, let conflicts) {
                try console.emit(ConflictReport(branch: current, theirs: branch, conflicts: conflicts.map(Conflict.init))) {
                    (["CONFLICT: \(conflicts.count) pair\(conflicts.count == 1 ? "" : "s") of edits disagree; nothing committed"]
                        + conflicts.map { "  \($0)" }).joined(separator: "\n")
                }
                throw CLIFailure.failure("merging \(branch) into \(current): \(conflicts.count) conflict\(conflicts.count == 1 ? "" : "s"), "
                    + "nothing committed: revert one edit of each pair, or merge with --prefer ours|theirs")
            }
            let report = Report(
                kind: result.kind.rawValue, branch: current, theirs: result.theirs.hex, tip: result.tip.hex,
                mergeCommit: result.mergeCommit?.hex, base: result.base?.hex, oursAdded: result.oursAdded,
                theirsAdded: result.theirsAdded, removed: result.removed, preference: result.preference?.rawValue,
                resolved: result.resolved.map(Conflict.init), droppedByPreference: result.droppedByPreference,
                allocationCollisions: result.allocationCollisions.count, sharedSlots: result.sharedSlots, totalSlots: result.totalSlots,
                liveEdits: result.liveEdits.count, holding: result.liveEdits.count - result.dropped.count, dropped: result.dropped,
                repair: result.repair.map(RepairJSON.init))
            try console.emit(report) { human(result, current: current) }
        }

        private func human(_ r: MergeResult, current: String) -> String {
            switch r.kind {
            case .upToDate:
                return "Already up to date."
            case .fastForward:
                return "Fast-forward \(current): \(r.base?.short ?? "?")..\(r.tip.short)"
            case .merge:
                var lines = ["Merge made: \(r.mergeCommit?.short ?? "?") (base \(r.base?.short ?? "?")): "
                    + "\(r.theirsAdded.count) edit\(r.theirsAdded.count == 1 ? "" : "s") from \(branch), \(r.oursAdded.count) on \(current) since the base"]
                if !r.removed.isEmpty { lines.append("Removed (reverted on \(branch)): " + r.removed.joined(separator: ", ")) }
                if let p = r.preference {
                    lines.append("\(r.resolved.count) conflict\(r.resolved.count == 1 ? "" : "s") resolved in favour of \(p.rawValue); dropped: "
                        + r.droppedByPreference.joined(separator: ", "))
                }
                lines.append("\(r.liveEdits.count - r.dropped.count)/\(r.liveEdits.count) live edits hold on the merged model"
                    + (r.dropped.isEmpty ? "" : "; dropped: " + r.dropped.joined(separator: ", ")))
                if let repair = r.repair, let commit = repair.commit {
                    lines.append("Repaired \(repair.repairedEdits.count) in \(commit.short): \(repair.holdingBefore)/\(repair.before.count) → "
                        + "\(repair.holdingAfter)/\(repair.after.count) hold"
                        + (repair.stillDropped.isEmpty ? "" : "; still dropped: " + repair.stillDropped.joined(separator: ", ")))
                } else if !r.dropped.isEmpty {
                    lines.append("Not repaired (--no-repair): `elder revert` or re-edit them")
                }
                return lines.joined(separator: "\n")
            }
        }
    }
}

extension MergePreference: ExpressibleByArgument {}
