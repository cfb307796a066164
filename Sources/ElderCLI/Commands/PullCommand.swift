import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder pull [REMOTE] [BRANCH]`: fetch a remote's branch and fast-forward to it.
    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch a remote's edits and bring them onto a branch (fast-forward, else merge).",
            discussion: """
                REMOTE (a remote's name or a URL) defaults to origin, BRANCH to the current branch. The remote's
                version is rebuilt and its state hash checked before the branch moves. When only the remote has new
                edits the branch fast-forwards; when both sides have, they are merged as `elder merge` does (a
                merge commit; edits that conflict stop it with nothing committed). --ff-only refuses to merge.
                Examples:
                  elder pull
                  elder pull origin main --ff-only --json
                """)

        @Argument(help: ArgumentHelp("A configured remote's name or a URL (default origin).", valueName: "REMOTE"))
        var remote: String = "origin"

        @Argument(help: ArgumentHelp("The branch to pull (default the current branch).", valueName: "BRANCH"))
        var branch: String?

        @Flag(name: .long, help: "Only fast-forward: fail instead of merging when both sides have new edits.")
        var ffOnly = false

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var outcome: String
            var remote: String
            var branch: String
            var from: String?
            var to: String
            var newCommits: Int
            var fetched: String
            var stateHash: String
        }

        func run() throws {
            let console = output.console
            let store = try repo.openStore()
            let name = try branch ?? RepoOptions.currentBranch(of: store.repository)
            let merge: ((String) throws -> (tip: ObjectID, stateHash: String))? = ffOnly ? nil : { fetched in
                let workspace = try repo.openWorkspace()
                do {
                    let merged = try workspace.merge(fetched, into: name, message: "Merge \(remote) \(name) (elder pull)")
                    // The tip's own hash: after a repair commit the tip is not the merge commit.
                    return (merged.tip, try workspace.stateHash(at: merged.tip.hex))
                } catch let WorkspaceError.mergeConflicts(_, _, conflicts) {
                    throw CLIFailure.failure("pulled \(fetched), but merging it into \(name) gives \(conflicts.count) conflict"
                        + "\(conflicts.count == 1 ? "" : "s") (nothing committed): see `elder merge \(fetched)`, then revert one edit "
                        + "of each pair or merge with --prefer ours|theirs")
                }
            }
            let result = try KnowledgeRemotes.pull(store, remote: remote, branch: name, merge: merge)
            let report = Report(outcome: result.outcome.rawValue, remote: remote, branch: name, from: result.from?.hex, to: result.to.hex,
                                newCommits: result.newCommits, fetched: result.fetched, stateHash: result.stateHash)
            try console.emit(report) {
                switch result.outcome {
                case .upToDate: return "Already up to date (\(name) at \(result.to.short))"
                case .ahead: return "Already up to date; \(name) has commits \(remote) lacks: `elder push` shares them"
                case .created:
                    return "Created \(name) at \(console.yellow(result.to.short)) from \(remote) (\(result.newCommits) commits), state verified"
                case .merged:
                    return "Merged \(result.fetched) into \(name) (\(result.newCommits) new commit\(result.newCommits == 1 ? "" : "s") from \(remote)): "
                        + "now at \(console.yellow(result.to.short)), state sha256 \(result.stateHash.prefix(12))…"
                case .fastForward:
                    return "Fast-forward \(name) \(result.from?.short ?? "")..\(console.yellow(result.to.short)): "
                        + "\(result.newCommits) new commit\(result.newCommits == 1 ? "" : "s") from \(remote), state sha256 \(result.stateHash.prefix(12))… verified"
                }
            }
        }
    }
}
