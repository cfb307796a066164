import ElderTestSupport
import Foundation
import XCTest

/// Who Elder's commits are by, read back with the `git` CLI: git's own identity rules (environment, then
/// the repo's and the global config), `--author`, cherry-pick keeping the picked author, and the one-line
/// refusal when nobody can be named.
final class AuthorshipTests: XCTestCase {
    /// A HOME with no git config, so what answers is the repo's config or the environment, never the machine's.
    func emptyHome() -> [String: String] {
        let home = temporaryFolder("home")
        return ["HOME": home, "XDG_CONFIG_HOME": home + "/.config"]
    }

    /// `%an|%ae|%cn|%ce|%s` of every commit on main and other since `start`, oldest first.
    func people(_ repo: String, since start: String) throws -> [String] {
        try GitCLI.lines(["log", "--reverse", "--topo-order", "--format=%an|%ae|%cn|%ce|%s", "main", "other", "^" + start], in: repo)
    }

    /// Edit, branch, edit on two branches, cherry-pick, merge and revert through the CLI with `environment`;
    /// returns the commit main was at before.
    func makeHistory(_ repo: String, environment: [String: String]) throws -> String {
        func elder(_ arguments: [String]) throws {
            XCTAssertSucceeded(try ElderProcess.run(arguments, in: repo, environment: environment,
                                                    removing: TestIdentity.variables + ["EMAIL"]), arguments.joined(separator: " "))
        }
        let start = try GitCLI.run(["rev-parse", "main"], in: repo).output
        try elder(["edit", "fact 1 is", " v1", "-m", "edit one"])
        try elder(["branch", "side"])
        try elder(["branch", "other"])
        try elder(["checkout", "side"])
        try elder(["edit", "side fact is", " w1", "-m", "edit on side"])
        try elder(["checkout", "other"])
        try elder(["edit", "other fact is", " o1", "-m", "edit by Jane", "--author", "Jane Doe <jane@example.com>"])
        try elder(["checkout", "main"])
        try elder(["edit", "fact 2 is", " v2", "-m", "edit two"])
        try elder(["revert", "HEAD"])
        try elder(["cherry-pick", "other"])
        try elder(["merge", "side", "-m", "merge side"])
        return start
    }

    func testCommitsAreByTheReposConfiguredPersonForEditRevertMergeAndCherryPick() throws {
        let repo = try TinyRepo.make()
        XCTAssertEqual(try GitCLI.run(["config", "user.name", "Config Person"], in: repo).status, 0)
        XCTAssertEqual(try GitCLI.run(["config", "user.email", "config@example.com"], in: repo).status, 0)
        let start = try makeHistory(repo, environment: emptyHome())
        let me = "Config Person|config@example.com|Config Person|config@example.com"
        let lines = try people(repo, since: start)
        // edit one, side, Jane's on other, edit two, the revert, the pick (and any repair after it), the merge (and its repair).
        XCTAssertGreaterThanOrEqual(lines.count, 7, lines.joined(separator: "\n"))
        for line in lines {
            if line.hasSuffix("|edit by Jane") {
                // --author names the author; the committer stays the configured person. A cherry-pick keeps it (git's rule).
                XCTAssertEqual(line, "Jane Doe|jane@example.com|Config Person|config@example.com|edit by Jane")
            } else {
                XCTAssertTrue(line.hasPrefix(me + "|"), line)
            }
        }
        XCTAssertEqual(lines.filter { $0.hasPrefix("Jane Doe|") }.count, 2, "Jane's edit and its cherry-pick: \(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix(me + "|merge side") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.hasPrefix(me + "|Revert") }, lines.joined(separator: "\n"))
        XCTAssertEqual(try GitCLI.run(["fsck", "--strict"], in: repo).status, 0)
    }

    func testEnvironmentOverridesConfigAsInGit() throws {
        let repo = try TinyRepo.make()
        XCTAssertEqual(try GitCLI.run(["config", "user.name", "Config Person"], in: repo).status, 0)
        XCTAssertEqual(try GitCLI.run(["config", "user.email", "config@example.com"], in: repo).status, 0)
        var environment = emptyHome()
        environment["GIT_AUTHOR_NAME"] = "Env Author"
        environment["GIT_AUTHOR_EMAIL"] = "author@example.com"
        environment["GIT_AUTHOR_DATE"] = "2026-01-02T03:04:05+01:00"
        environment["GIT_COMMITTER_NAME"] = "Env Committer"
        environment["GIT_COMMITTER_EMAIL"] = "committer@example.com"
        let start = try makeHistory(repo, environment: environment)
        let lines = try people(repo, since: start)
        XCTAssertGreaterThanOrEqual(lines.count, 7, lines.joined(separator: "\n"))
        for line in lines where !line.hasPrefix("Jane Doe|") {
            XCTAssertTrue(line.hasPrefix("Env Author|author@example.com|Env Committer|committer@example.com|"), line)
        }
        XCTAssertEqual(lines.filter { $0 == "Jane Doe|jane@example.com|Env Committer|committer@example.com|edit by Jane" }.count, 2,
                       lines.joined(separator: "\n"))
        // GIT_AUTHOR_DATE is the author date, as git reads it (ISO 8601 with its offset).
        let dates = try GitCLI.lines(["log", "--format=%ad", "--date=iso-strict", "main", "^" + start, "--author=Env Author"], in: repo)
        XCTAssertFalse(dates.isEmpty)
        XCTAssertEqual(Set(dates), ["2026-01-02T03:04:05+01:00"])
        // Only the environment's person: unset, the repo's config answers again.
        let run = try ElderProcess.run(["edit", "fact 3 is", " v3"], in: repo, environment: emptyHome(), removing: TestIdentity.variables)
        XCTAssertSucceeded(run)
        XCTAssertEqual(try GitCLI.run(["log", "-1", "--format=%an %ae %cn %ce"], in: repo).output,
                       "Config Person config@example.com Config Person config@example.com")
    }

    func testNoIdentityIsOneLineAndNothingMoves() throws {
        let repo = try TinyRepo.make()
        let tip = try GitCLI.run(["rev-parse", "main"], in: repo).output
        let nobody = TestIdentity.variables + ["EMAIL"]
        let edit = try ElderProcess.run(["edit", "fact 1 is", " v1"], in: repo, environment: emptyHome(), removing: nobody)
        XCTAssertFailed(edit, status: 128, containing: "Author identity unknown")
        XCTAssertTrue(edit.stderr.contains("git config --global user.email"), edit.stderr)
        XCTAssertEqual(try GitCLI.run(["rev-parse", "main"], in: repo).output, tip)
        // A committer is needed even with --author, as git needs one.
        XCTAssertFailed(try ElderProcess.run(["edit", "fact 1 is", " v1", "--author", "Jane Doe <jane@example.com>"], in: repo,
                                             environment: emptyHome(), removing: nobody),
                        status: 128, containing: "Committer identity unknown")
        XCTAssertFailed(try ElderProcess.run(["edit", "fact 1 is", " v1", "--author", "Jane Doe"], in: repo),
                        status: 128, containing: "is not 'Name <email>'")
        XCTAssertFailed(try ElderProcess.run(["edit", "fact 1 is", " v1"], in: repo, environment: ["GIT_AUTHOR_DATE": "yesterday"]),
                        status: 128, containing: "GIT_AUTHOR_DATE 'yesterday' is not a date")
        XCTAssertEqual(try GitCLI.run(["rev-parse", "main"], in: repo).output, tip)
        // `elder init` asks before it writes anything.
        let parent = TinyRepo.folder()
        let initRun = try ElderProcess.run(["init", parent + "/facts", "--model", TinyRepo.modelPath], in: parent,
                                           environment: emptyHome(), removing: nobody)
        XCTAssertFailed(initRun, status: 128, containing: "Author identity unknown")
        XCTAssertFalse(FileManager.default.fileExists(atPath: parent + "/facts"))
    }
}
