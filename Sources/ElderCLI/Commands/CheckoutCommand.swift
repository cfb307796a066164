import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder checkout BRANCH|REV`: moves HEAD (the repo is bare; no files change).
    struct Checkout: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Switch to a branch, or look at any version (detached HEAD).",
            discussion: """
                A branch name puts HEAD on that branch: later edits go there. Any other revision (a commit, \
                a tag, HEAD~2) detaches HEAD there: `elder ask` answers as that version, and `elder edit` \
                asks you to create or check out a branch first.
                Examples:
                  elder checkout experiments
                  elder checkout v1
                  elder checkout HEAD~3
                """)

        @Argument(help: ArgumentHelp("A branch, or any revision.", valueName: "BRANCH|REV"))
        var target: String

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var branch: String?
            var detached: Bool
            var head: String
            var summary: String
        }

        func run() throws {
            let console = output.console
            let history = try RepoHistory.open(at: try repo.repoPath())
            let before = try history.headPosition()
            let after = try history.checkout(target)
            let summary = try history.entry(after.commit).summary
            try console.emit(Report(branch: after.branch, detached: after.branch == nil, head: after.commit.hex, summary: summary)) {
                switch after {
                case let .branch(name, _):
                    return before.branch == name ? "Already on '\(name)'" : "Switched to branch '\(name)'"
                case let .detached(id):
                    return "HEAD is now at \(console.yellow(id.short)) \(summary)\n"
                        + console.dim("You are in 'detached HEAD' state: ask and show work here; to edit, `elder branch NAME` then `elder checkout NAME`.")
                }
            }
        }
    }
}
