import ElderTestSupport
import Foundation
import XCTest

/// The sample server hook `Hooks/pre-receive` on a bare repo served by a real `git daemon` on 127.0.0.1:
/// it accepts `elder push`, and refuses a merge made by plain git and a commit whose tensor blob was changed
/// by hand, saying to merge with `elder merge`; the server's branch does not move.
final class PreReceiveHookTests: XCTestCase {
    static let hook = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Hooks/pre-receive").path

    func git(_ repo: String, _ arguments: [String], environment: [String: String] = [:]) throws -> GitResult {
        try GitCLI.execute(["--git-dir", repo] + arguments, environment: environment)
    }

    func output(_ repo: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let r = try git(repo, arguments, environment: environment)
        XCTAssertEqual(r.status, 0, "git \(arguments): \(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testHookRefusesAPlainGitMergeAndATamperedBlobAndAcceptsElderPush() throws {
        let parent = TinyRepo.folder()
        let origin = try TinyRepo.make()
        try TinyEdits.commit([(" The capital of Zorbia is", " Quell")], in: origin)
        let server = parent + "/server", bare = server + "/facts.git"
        try FileManager.default.createDirectory(atPath: server, withIntermediateDirectories: true)
        XCTAssertEqual(try GitCLI.invoke(["init", "--bare", "-q", bare], includingErrors: true).status, 0)
        try FileManager.default.copyItem(atPath: Self.hook, toPath: bare + "/hooks/pre-receive")
        let daemon = try GitDaemon.start(base: server, environment: ["ELDER": ElderProcess.binary])
        defer { daemon.stop() }
        let url = daemon.url("facts.git")

        // elder push of Elder commits: accepted (the server was empty).
        XCTAssertSucceeded(try ElderProcess.run(["push", url, "main"], in: origin))
        XCTAssertEqual(try output(bare, ["rev-parse", "main"]), try output(origin, ["rev-parse", "main"]))

        // A pull request merged by plain git: two branches of edits joined by a commit git made (the platform took
        // main's files, as a forced resolution of the conflicts on delta/adapter.bin does). Not an Elder commit.
        try TinyEdits.commit([(" The river of Zorbia is", " Vell")], in: origin)
        XCTAssertEqual(try git(origin, ["branch", "side", "main~1"]).status, 0)
        try TinyEdits.commit([(" The king of Zorbia is", " Arn")], in: origin, branch: "side")
        let tree = try output(origin, ["rev-parse", "main^{tree}"])
        let merge = try output(origin, ["commit-tree", tree, "-p", "main", "-p", "side", "-m", "Merge pull request #1 from side"])
        let serverMain = try output(bare, ["rev-parse", "main"])
        var push = try git(origin, ["push", url, "\(merge):refs/heads/main"])
        XCTAssertNotEqual(push.status, 0, push.stderr)
        XCTAssertTrue(push.stderr.contains("pre-receive hook declined"), push.stderr)
        XCTAssertTrue(push.stderr.contains("is not an Elder commit"), push.stderr)
        XCTAssertTrue(push.stderr.contains("elder merge"), push.stderr)
        XCTAssertEqual(try output(bare, ["rev-parse", "main"]), serverMain)

        // A tampered tensor blob: main's new edit commit with its delta/adapter.bin swapped for another edit's
        // (a valid pack, other values), message and trailers unchanged.
        let index = parent + "/tamper.index"
        let env = ["GIT_INDEX_FILE": index]
        XCTAssertEqual(try git(origin, ["read-tree", "main"], environment: env).status, 0)
        let otherDelta = try output(origin, ["rev-parse", "side:delta/adapter.bin"])
        XCTAssertNotEqual(otherDelta, try output(origin, ["rev-parse", "main:delta/adapter.bin"]))
        XCTAssertEqual(try git(origin, ["update-index", "--cacheinfo", "100644,\(otherDelta),delta/adapter.bin"], environment: env).status, 0)
        let tamperedTree = try output(origin, ["write-tree"], environment: env)
        let message = try output(origin, ["log", "-1", "--format=%B", "main"])
        let tampered = try output(origin, ["commit-tree", tamperedTree, "-p", "main~1", "-m", message])
        push = try git(origin, ["push", url, "\(tampered):refs/heads/main"])
        XCTAssertNotEqual(push.status, 0, push.stderr)
        XCTAssertTrue(push.stderr.contains("pre-receive hook declined"), push.stderr)
        XCTAssertTrue(push.stderr.contains("changed by hand"), push.stderr)
        XCTAssertEqual(try output(bare, ["rev-parse", "main"]), serverMain)

        // The same edit as elder made it: accepted; and a merge made by elder merge is too.
        XCTAssertSucceeded(try ElderProcess.run(["push", url, "main"], in: origin))
        XCTAssertSucceeded(try ElderProcess.run(["merge", "side", "--no-repair"], in: origin))
        let merged = try ElderProcess.run(["push", url, "main"], in: origin)
        XCTAssertSucceeded(merged)
        XCTAssertEqual(try output(bare, ["rev-parse", "main"]), try output(origin, ["rev-parse", "main"]))
        XCTAssertEqual(try output(bare, ["rev-list", "--count", "--merges", "main"]), "1")
        XCTAssertEqual(try git(bare, ["fsck", "--strict"]).status, 0)
    }

    func testVerifyChecksAWholeHistoryAndSaysWhatToDo() throws {
        let repo = try TinyRepo.make()
        try TinyEdits.commit([(" The capital of Zorbia is", " Quell"), (" The river of Zorbia is", " Vell")], in: repo)
        let run = try ElderProcess.run(["verify", "--json"], in: repo)
        XCTAssertSucceeded(run)
        let verdicts = try XCTUnwrap(try run.json()["verdicts"] as? [[String: Any]])
        XCTAssertEqual(verdicts.first?["commits"] as? Int, 4)
        XCTAssertNil(verdicts.first?["refusal"] as? String)
        // A commit made with plain git on top: exit 1, the refusal names it.
        let tip = try output(repo, ["rev-parse", "main"])
        let plain = try output(repo, ["commit-tree", "main^{tree}", "-p", tip, "-m", "tweak by hand"])
        XCTAssertEqual(try git(repo, ["update-ref", "refs/heads/main", plain]).status, 0)
        let refused = try ElderProcess.run(["verify"], in: repo)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stdout.contains("is not an Elder commit"), refused.stdout)
        XCTAssertSucceeded(try ElderProcess.run(["verify", tip], in: repo))

        // More new commits than the reader's git config allows: refused before any state is rebuilt.
        XCTAssertEqual(try git(repo, ["config", "elder.maxNewCommits", "3"]).status, 0)
        let many = try ElderProcess.run(["verify", "--json", tip], in: repo)
        XCTAssertEqual(many.status, 1)
        let refusal = try XCTUnwrap((try many.json()["verdicts"] as? [[String: Any]])?.first?["refusal"] as? String)
        XCTAssertTrue(refusal.contains("more than 3 new commits") && refusal.contains("git config elder.maxNewCommits"), refusal)
        XCTAssertEqual(try git(repo, ["config", "elder.maxNewCommits", "4"]).status, 0)
        XCTAssertSucceeded(try ElderProcess.run(["verify", tip], in: repo))
    }
}
