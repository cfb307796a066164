import ArgumentParser
import Elder
import ElderCommandLine
import Foundation

extension ElderCommand {
    /// `elder push [REMOTE] [BRANCH]`: send a branch's commits to a remote (fast-forward only).
    struct Push: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a branch's edits to a remote (fast-forward only).",
            discussion: """
                REMOTE is a configured remote (default origin) or a URL; BRANCH defaults to the current branch.
                When the remote has commits this repo lacks, pull first. Examples:
                  elder push
                  elder push origin main
                  elder push git://server/facts.git main
                """)

        @Argument(help: ArgumentHelp("A remote's name or a URL (default origin).", valueName: "REMOTE"))
        var remote: String = "origin"

        @Argument(help: ArgumentHelp("The branch to push (default the current branch).", valueName: "BRANCH"))
        var branch: String?

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var remote: String
            var branch: String
            var commit: String
            var previous: String?
            var upToDate: Bool
        }

        func run() throws {
            let console = output.console
            let store = try repo.openStore()
            let name = try branch ?? RepoOptions.currentBranch(of: store.repository)
            let result = try KnowledgeRemotes.push(store, remote: remote, branch: name)
            let report = Report(remote: remote, branch: name, commit: result.commit.hex, previous: result.previous?.hex,
                                upToDate: result.upToDate)
            try console.emit(report) {
                if result.upToDate { return "Everything up-to-date (\(remote) \(name) at \(result.commit.short))" }
                let from = result.previous.map { $0.short + ".." } ?? "new branch "
                return "Pushed \(name) to \(remote): \(from)\(console.yellow(result.commit.short))"
            }
        }
    }
}
