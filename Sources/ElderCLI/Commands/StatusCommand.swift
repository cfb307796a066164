import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder status`: where HEAD is, which model and method, how many edits are live, a bisect under way.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the repo's branch, model, method and live edits.",
            discussion: "Example: elder status --json")

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var path: String
            var branch: String?
            var head: String
            var headSummary: String
            var model: String
            var sha256: String
            var method: String
            var liveEdits: Int
            var bisecting: Bool
        }

        func run() throws {
            let console = output.console
            let store = try repo.openStore()
            let config = try WorkspaceConfig.decode(store.workspaceConfigJSON)
            guard let head = try store.repository.headCommit() else {
                throw CLIFailure.fatal("the repo has no commits: it was not made by `elder init`")
            }
            let info = try store.info(of: head)
            let report = Report(path: store.repository.gitDirectory, branch: try store.repository.currentBranch(),
                                head: head.description,
                                headSummary: info.message.split(separator: "\n").first.map(String.init) ?? "",
                                model: config.model.fileName, sha256: config.model.sha256, method: config.editor.method.rawValue,
                                liveEdits: try store.liveEdits(at: head).count,
                                bisecting: try Bisection.resume(in: store.repository) != nil)
            try console.emit(report) {
                var lines = [report.branch.map { "On branch \(console.bold($0))" }
                                 ?? console.yellow("HEAD detached at \(head.short)")]
                lines.append("HEAD \(console.yellow(head.short)) \(report.headSummary)")
                lines.append("\(report.liveEdits) live edit\(report.liveEdits == 1 ? "" : "s"); method \(report.method); "
                             + "model \(report.model) (sha256 \(report.sha256.prefix(12))…)")
                if report.bisecting { lines.append("You are bisecting: `elder bisect log` shows where, `elder bisect reset` ends it.") }
                return lines.joined(separator: "\n")
            }
        }
    }
}
