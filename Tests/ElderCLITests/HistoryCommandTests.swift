import ElderTestSupport
import Foundation
import XCTest

/// `elder log`, `show`, `branch`, `checkout`, `tag`, `revert` and `ask`, checked against the `git` CLI.
final class HistoryCommandTests: XCTestCase {
    /// A repo with two edits on main.
    static func repoWithTwoEdits(_ name: String = #function) throws -> String {
        let repo = try TinyRepo.make(name)
        for (id, prompt, target) in [("paris", "The capital of France is", " Lyon"), ("rome", "The capital of Italy is", " Milan")] {
            let run = try ElderProcess.run(["edit", prompt, target, "--id", id, "-m", "Edit \(id)", "-q"], in: repo)
            guard run.status == 0 else { throw NSError(domain: "edit", code: 1, userInfo: [NSLocalizedDescriptionKey: run.stderr]) }
        }
        return repo
    }

    func testLogListsWhatGitListsWithEditsAndMetrics() throws {
        let repo = try Self.repoWithTwoEdits()
        let run = try ElderProcess.run(["log", "--json"], in: repo)
        XCTAssertSucceeded(run)
        let commits = try run.objects("commits")
        XCTAssertEqual(commits.compactMap { $0["commit"] as? String }, try GitCLI.lines(["log", "--format=%H"], in: repo))
        XCTAssertEqual(commits.first?["editID"] as? String, "rome")
        XCTAssertEqual(commits.first?["summary"] as? String, "Edit rome")
        XCTAssertEqual(commits.first?["refs"] as? [String], ["HEAD -> main"])
        XCTAssertNotNil((commits.first?["metrics"] as? [String: String])?["Reliability"])
        XCTAssertEqual(commits.first?["parents"] as? [String], [commits[1]["commit"] as? String].compactMap { $0 })

        let oneline = try ElderProcess.run(["log", "--oneline", "-n", "2"], in: repo)
        XCTAssertSucceeded(oneline)
        let lines = oneline.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasPrefix(String(try GitCLI.lines(["rev-parse", "HEAD"], in: repo)[0].prefix(10)) + " (HEAD -> main) Edit rome"), oneline.stdout)
        let full = try ElderProcess.run(["log", "HEAD~1"], in: repo)
        XCTAssertSucceeded(full)
        XCTAssertTrue(full.stdout.hasPrefix("commit " + (try GitCLI.lines(["rev-parse", "HEAD~1"], in: repo)[0])), full.stdout)
        XCTAssertTrue(full.stdout.contains("Author: ") && full.stdout.contains("    Edit paris"), full.stdout)
        XCTAssertFailed(try ElderProcess.run(["log", "nope"], in: repo), status: 128, containing: "unknown revision 'nope'")
        XCTAssertFailed(try ElderProcess.run(["log"], in: TinyRepo.folder()), status: 128, containing: "not an Elder knowledge repo")
    }

    func testShowGivesTheEditRecordMetricsAllocationAndTensors() throws {
        let repo = try Self.repoWithTwoEdits()
        let run = try ElderProcess.run(["show", "HEAD~1", "--json"], in: repo)
        XCTAssertSucceeded(run)
        let json = try run.json()
        XCTAssertEqual(json["role"] as? String, "edit")
        XCTAssertEqual((json["commit"] as? [String: Any])?["commit"] as? String, try GitCLI.lines(["rev-parse", "HEAD~1"], in: repo)[0])
        let edit = try XCTUnwrap(json["edit"] as? [String: Any])
        XCTAssertEqual(edit["id"] as? String, "paris")
        XCTAssertEqual(edit["target"] as? String, " Lyon")
        XCTAssertNotNil((edit["metrics"] as? [String: Any])?["iterations"])
        XCTAssertFalse((json["allocation"] as? [Any] ?? []).isEmpty)
        let tensors = try XCTUnwrap(json["changedTensors"] as? [[String: Any]])
        XCTAssertFalse(tensors.isEmpty)
        // The delta's tensors are the ones git's diff of the commit touches under delta/ (by name).
        let touched = try GitCLI.lines(["diff-tree", "--no-commit-id", "-r", "--name-only", "HEAD~2", "HEAD~1"], in: repo)
        XCTAssertTrue(touched.contains { $0.hasPrefix("edits/") && $0.hasSuffix("paris.json") }, "\(touched)")

        let human = try ElderProcess.run(["show"], in: repo)
        XCTAssertSucceeded(human)
        XCTAssertTrue(human.stdout.contains(#"Edit rome: "The capital of Italy is" → " Milan""#), human.stdout)
        XCTAssertTrue(human.stdout.contains("allocation: layer"), human.stdout)
        XCTAssertTrue(human.stdout.contains("Tensors: "), human.stdout)
        XCTAssertFailed(try ElderProcess.run(["show", "nope"], in: repo), status: 128, containing: "unknown revision")
    }

    func testBranchCheckoutAndTagMoveRefsAsGitSeesThem() throws {
        let repo = try Self.repoWithTwoEdits()
        let main = try GitCLI.lines(["rev-parse", "main"], in: repo)[0]
        XCTAssertSucceeded(try ElderProcess.run(["branch", "exp", "HEAD~1"], in: repo))
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "exp"], in: repo), try GitCLI.lines(["rev-parse", "main~1"], in: repo))
        XCTAssertFailed(try ElderProcess.run(["branch", "exp"], in: repo), status: 128, containing: "already exists")
        XCTAssertFailed(try ElderProcess.run(["branch", "bad name"], in: repo), status: 128, containing: "not a valid branch name")
        XCTAssertFailed(try ElderProcess.run(["branch", "x", "nope"], in: repo), status: 128, containing: "unknown revision")

        let list = try ElderProcess.run(["branch", "--json"], in: repo)
        XCTAssertEqual(try list.json()["current"] as? String, "main")
        XCTAssertEqual(try list.objects("branches").compactMap { $0["name"] as? String }, ["exp", "main"])
        let human = try ElderProcess.run(["branch"], in: repo)
        XCTAssertTrue(human.stdout.contains("* main"), human.stdout)

        // checkout a branch: HEAD is symbolic; an edit there moves exp only.
        let switched = try ElderProcess.run(["checkout", "exp"], in: repo)
        XCTAssertSucceeded(switched)
        XCTAssertEqual(switched.stdout, "Switched to branch 'exp'\n")
        XCTAssertEqual(try GitCLI.lines(["symbolic-ref", "HEAD"], in: repo), ["refs/heads/exp"])
        XCTAssertSucceeded(try ElderProcess.run(["edit", "The sky is", " green", "-m", "On exp", "-q"], in: repo))
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%s", "exp"], in: repo), ["On exp"])
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "main"], in: repo), [main])
        XCTAssertFailed(try ElderProcess.run(["branch", "-d", "exp"], in: repo), status: 128, containing: "HEAD is on it")
        XCTAssertSucceeded(try ElderProcess.run(["checkout", "main"], in: repo))
        XCTAssertFailed(try ElderProcess.run(["branch", "-d", "exp"], in: repo), status: 128, containing: "-D")
        XCTAssertSucceeded(try ElderProcess.run(["branch", "-D", "exp"], in: repo))
        XCTAssertNotEqual(try GitCLI.run(["rev-parse", "--verify", "refs/heads/exp"], in: repo).status, 0)

        // tags: annotated and lightweight, as git reads them.
        XCTAssertSucceeded(try ElderProcess.run(["tag", "v1", "HEAD~1", "-m", "First release"], in: repo))
        XCTAssertSucceeded(try ElderProcess.run(["tag", "v2"], in: repo))
        XCTAssertEqual(try GitCLI.lines(["cat-file", "-t", "v1"], in: repo), ["tag"])
        XCTAssertEqual(try GitCLI.lines(["cat-file", "-t", "v2"], in: repo), ["commit"])
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "v1^{commit}"], in: repo), try GitCLI.lines(["rev-parse", "HEAD~1"], in: repo))
        let tags = try ElderProcess.run(["tag", "--json"], in: repo).objects("tags")
        XCTAssertEqual(tags.compactMap { $0["name"] as? String }, ["v1", "v2"])
        XCTAssertEqual(tags.first?["message"] as? String, "First release")
        XCTAssertTrue(try GitCLI.lines(["tag", "-l", "-n1", "v1"], in: repo).first?.hasSuffix(" First release") == true)
        XCTAssertFailed(try ElderProcess.run(["tag", "v1"], in: repo), status: 128, containing: "already exists")
        XCTAssertTrue(try ElderProcess.run(["log", "--oneline"], in: repo).stdout.contains("(tag: v1)"))

        // checkout a tag: detached HEAD at its commit; status says so; show works there.
        let detached = try ElderProcess.run(["checkout", "v1"], in: repo)
        XCTAssertSucceeded(detached)
        XCTAssertTrue(detached.stdout.hasPrefix("HEAD is now at "), detached.stdout)
        XCTAssertNotEqual(try GitCLI.run(["symbolic-ref", "-q", "HEAD"], in: repo).status, 0)
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), try GitCLI.lines(["rev-parse", "main~1"], in: repo))
        XCTAssertTrue(try ElderProcess.run(["branch"], in: repo).stdout.contains("(HEAD detached at"))
        XCTAssertSucceeded(try ElderProcess.run(["tag", "-d", "v1"], in: repo))
        XCTAssertFailed(try ElderProcess.run(["tag", "-d", "v1"], in: repo), status: 128, containing: "no tag 'v1'")
        XCTAssertFailed(try ElderProcess.run(["checkout", "nope"], in: repo), status: 128, containing: "unknown revision")
    }

    func testRevertTakesOneEditOutAndReportsTheVerification() throws {
        let repo = try Self.repoWithTwoEdits()
        let paris = try GitCLI.lines(["rev-parse", "HEAD~1"], in: repo)[0]
        let run = try ElderProcess.run(["revert", "HEAD~1", "--json"], in: repo)
        XCTAssertSucceeded(run)
        let json = try run.json()
        XCTAssertEqual(json["editID"] as? String, "paris")
        XCTAssertEqual(json["revertedCommit"] as? String, paris)
        XCTAssertEqual(json["commit"] as? String, try GitCLI.lines(["rev-parse", "HEAD"], in: repo)[0])
        XCTAssertEqual((json["liveEdits"] as? [[String: Any]])?.compactMap { $0["editID"] as? String }, ["rome"])
        XCTAssertNotNil(json["answersAsBefore"] as? Bool)
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%(trailers:key=Reverted-Edit,valueonly)"], in: repo), ["paris"])
        XCTAssertFalse(try GitCLI.lines(["ls-tree", "-r", "--name-only", "HEAD"], in: repo).contains { $0.hasSuffix("paris.json") })
        // Reverting it again is refused; reverting the revert restores the edit (human report).
        XCTAssertFailed(try ElderProcess.run(["revert", "HEAD~2"], in: repo), status: 1, containing: "not live")
        let restore = try ElderProcess.run(["revert", "HEAD", "--repair"], in: repo)
        XCTAssertSucceeded(restore)
        XCTAssertTrue(restore.stdout.contains("restored edit paris"), restore.stdout)
        XCTAssertTrue(restore.stdout.contains("live edits holding: "), restore.stdout)
        XCTAssertTrue(try GitCLI.lines(["ls-tree", "-r", "--name-only", "HEAD"], in: repo).contains { $0.hasSuffix("paris.json") })
        XCTAssertFailed(try ElderProcess.run(["revert", "nope"], in: repo), status: 128, containing: "unknown revision")
        let root = try GitCLI.lines(["rev-list", "--max-parents=0", "HEAD"], in: repo)[0]
        XCTAssertFailed(try ElderProcess.run(["revert", root], in: repo), status: 128, containing: "makes no edit")
    }

    func testAskAnswersAnyVersionAndExplainsTheRouting() throws {
        let repo = try Self.repoWithTwoEdits()
        let run = try ElderProcess.run(["ask", "The capital of France is", "--max-tokens", "4", "--json"], in: repo)
        XCTAssertSucceeded(run)
        let json = try run.json()
        XCTAssertEqual(json["commit"] as? String, try GitCLI.lines(["rev-parse", "HEAD"], in: repo)[0])
        XCTAssertNotNil(json["answer"] as? String)
        XCTAssertLessThanOrEqual((json["tokens"] as? [Any])?.count ?? 99, 4)
        let routing = try XCTUnwrap(json["routing"] as? [String: Any])
        XCTAssertNotNil(routing["fired"] as? Bool)
        let old = try ElderProcess.run(["ask", "The capital of France is", "--rev", "main~2", "--json"], in: repo)
        XCTAssertEqual(try old.json()["commit"] as? String, try GitCLI.lines(["rev-parse", "main~2"], in: repo)[0])

        let explained = try ElderProcess.run(["ask", "The capital of France is", "--explain"], in: repo)
        XCTAssertSucceeded(explained)
        XCTAssertTrue(explained.stdout.hasPrefix("The capital of France is"), explained.stdout)
        XCTAssertTrue(explained.stdout.contains("routing: "), explained.stdout)
        let plain = try ElderProcess.run(["ask", "The capital of France is"], in: repo)
        XCTAssertSucceeded(plain)
        XCTAssertFalse(plain.stdout.contains("routing: "), plain.stdout)
        XCTAssertFailed(try ElderProcess.run(["ask", "x", "--rev", "nope"], in: repo), status: 128, containing: "unknown revision")
        XCTAssertFailed(try ElderProcess.run(["ask", "x", "--max-tokens", "0"], in: repo), status: 128, containing: "--max-tokens")
    }
}
