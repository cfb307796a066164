import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder reset REV`: moves the current branch to another commit (`git reset --hard`; the repo is bare).
    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move the current branch to another version, dropping the commits after it from the branch.",
            discussion: """
                As `git reset --hard`: the branch now names REV, and the commits it had after REV are no longer \
                on it — nothing is retrained, no new commit is made. Use it for commits not yet pushed (an edit \
                made by mistake, a merge to undo: `elder reset HEAD~1`); for history others have, `elder revert` \
                undoes an edit with a new commit instead. The old tip is kept in ORIG_HEAD and the branch's \
                reflog (`git reflog BRANCH`), so `elder reset ORIG_HEAD` undoes a reset.
                Examples:
                  elder reset HEAD~1
                  elder reset v1
                  elder reset ORIG_HEAD
                """)

        @Argument(help: ArgumentHelp("The version the branch should name.", valueName: "REV"))
        var revision: String

        @Flag(name: .long, help: "Accepted for git's muscle memory: a knowledge repo has no working tree, so every reset is hard.")
        var hard = false

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var branch: String
            var from: String
            var to: String
            var summary: String
            var orphaned: [String]
        }

        func run() throws {
            let console = output.console
            let history = try RepoHistory.open(at: try repo.repoPath())
            let branch = try RepoOptions.currentBranch(of: history.repository)
            let r = try history.reset(branch, to: revision)
            let summary = try history.entry(r.to).summary
            try console.emit(Report(branch: branch, from: r.from.hex, to: r.to.hex, summary: summary, orphaned: r.orphaned.map(\.hex))) {
                var text = "HEAD is now at \(console.yellow(r.to.short)) \(summary)"
                if !r.orphaned.isEmpty {
                    let n = r.orphaned.count
                    text += "\n" + console.dim("\(n) commit\(n == 1 ? "" : "s") no longer on any branch or tag (the newest was \(r.from.short)); "
                        + "`elder reset ORIG_HEAD` brings \(n == 1 ? "it" : "them") back")
                }
                return text
            }
        }
    }
}
