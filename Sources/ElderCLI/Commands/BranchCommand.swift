import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder branch`: list branches (the current one marked), create one, or delete one.
    struct Branch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, create or delete branches.",
            discussion: """
                A branch is a line of edits. Creating one does not switch to it: `elder checkout NAME` does.
                -d refuses a branch whose edits HEAD does not have (merge it first); -D deletes it anyway.
                Examples:
                  elder branch
                  elder branch experiments
                  elder branch before-cleanup HEAD~3
                  elder branch -d experiments
                """)

        @Argument(help: ArgumentHelp("The branch to create.", valueName: "NAME"))
        var name: String?

        @Argument(help: ArgumentHelp("Where the new branch starts (default HEAD).", valueName: "START"))
        var start: String?

        @Option(name: .customShort("d"), help: ArgumentHelp("Delete a branch whose edits HEAD has.", valueName: "NAME"))
        var delete: String?

        @Option(name: .customShort("D"), help: ArgumentHelp("Delete a branch even if its edits would be lost.", valueName: "NAME"))
        var forceDelete: String?

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Item: Encodable {
            var name: String
            var commit: String
            var current: Bool
            var summary: String
        }

        struct Report: Encodable {
            var action: String
            var current: String?
            var branches: [Item]
        }

        func validate() throws {
            let deleting = delete != nil || forceDelete != nil
            if deleting, name != nil || start != nil || (delete != nil && forceDelete != nil) {
                throw ValidationError("-d/-D NAME deletes one branch; give nothing else")
            }
            if start != nil, name == nil { throw ValidationError("give the new branch's NAME before START") }
        }

        func run() throws {
            let console = output.console
            let history = try RepoHistory.open(at: try repo.repoPath())
            if let doomed = delete ?? forceDelete {
                let tip = try history.deleteBranch(doomed, force: forceDelete != nil)
                try console.emit(Report(action: "deleted", current: try history.repository.currentBranch(),
                                        branches: [Item(name: doomed, commit: tip.hex, current: false, summary: "")])) {
                    "Deleted branch \(doomed) (was \(tip.short))."
                }
                return
            }
            if let name {
                let made = try history.createBranch(name, at: start ?? "HEAD")
                try console.emit(Report(action: "created", current: try history.repository.currentBranch(),
                                        branches: [Item(name: name, commit: made.tip.hex, current: false,
                                                        summary: try history.entry(made.tip).summary)])) {
                    "Created branch \(name) at \(made.tip.short). Switch to it with `elder checkout \(name)`."
                }
                return
            }
            let branches = try history.branches()
            let items = try branches.map { Item(name: $0.name, commit: $0.tip.hex, current: $0.isCurrent,
                                                summary: try history.entry($0.tip).summary) }
            let head = try history.headPosition()
            try console.emit(Report(action: "list", current: head.branch, branches: items)) {
                var lines: [String] = []
                if case let .detached(id) = head { lines.append("* " + console.yellow("(HEAD detached at \(id.short))")) }
                let width = items.map(\.name.count).max() ?? 0
                for item in items {
                    let padded = item.name.padding(toLength: width, withPad: " ", startingAt: 0)
                    lines.append((item.current ? "* " + console.green(padded) : "  " + padded)
                                 + " " + console.yellow(String(item.commit.prefix(10))) + " " + item.summary)
                }
                return lines.joined(separator: "\n")
            }
        }
    }
}
