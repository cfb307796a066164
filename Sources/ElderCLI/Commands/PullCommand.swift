import ArgumentParser
import Elder
import Foundation

extension ElderCommand {
    /// `elder pull [REMOTE] [BRANCH]`: fetch a remote's branch and fast-forward to it.
    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch a remote's edits and fast-forward a branch to them.",
            discussion: """
                REMOTE defaults to origin, BRANCH to the current branch. The remote's version is rebuilt and its
                state hash checked before the branch moves. Pull only fast-forwards: when both sides have new
                edits it stops and says so; merge them with `elder merge REMOTE/BRANCH`. Examples:
                  elder pull
                  elder pull origin main --json
                """)

        @Argument(help: ArgumentHelp("A configured remote's name (default origin).", valueName: "REMOTE"))
        var remote: String = "origin"

        @Argument(help: ArgumentHelp("The branch to pull (default the current branch).", valueName: "BRANCH"))
        var branch: String?

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var outcome: String
            var remote: String
            var branch: String
            var from: String?
            var to: String
            var newCommits: Int
            var stateHash: String
        }

        func run() throws {
            let console = output.console
            let store = try repo.openStore()
            let name = try branch ?? RepoOptions.currentBranch(of: store.repository)
            let result = try KnowledgeRemotes.pull(store, remote: remote, branch: name)
            let report = Report(outcome: result.outcome.rawValue, remote: remote, branch: name, from: result.from?.hex, to: result.to.hex,
                                newCommits: result.newCommits, stateHash: result.stateHash)
            try console.emit(report) {
                switch result.outcome {
                case .upToDate: return "Already up to date (\(name) at \(result.to.short))"
                case .ahead: return "Already up to date; \(name) has commits \(remote) lacks: `elder push` shares them"
                case .created:
                    return "Created \(name) at \(console.yellow(result.to.short)) from \(remote) (\(result.newCommits) commits), state verified"
                case .fastForward:
                    return "Fast-forward \(name) \(result.from?.short ?? "")..\(console.yellow(result.to.short)): "
                        + "\(result.newCommits) new commit\(result.newCommits == 1 ? "" : "s") from \(remote), state sha256 \(result.stateHash.prefix(12))… verified"
                }
            }
        }
    }
}
