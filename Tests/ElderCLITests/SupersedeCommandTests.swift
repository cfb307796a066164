import ElderTestSupport
import Foundation
import XCTest

/// `elder edit` of a prompt that already has a live edit supersedes it in one commit; the same target is
/// nothing to do. Checked against the `git` CLI.
final class SupersedeCommandTests: XCTestCase {
    static let prompt = "The price of the basic plan is"

    func commitCount(_ repo: String) throws -> Int { try GitCLI.lines(["rev-list", "--count", "main"], in: repo).first.flatMap(Int.init) ?? -1 }

    func testANewTargetSupersedesTheLiveEditInOneCommit() throws {
        let repo = try TinyRepo.make()
        XCTAssertSucceeded(try ElderProcess.run(["edit", Self.prompt, " $10", "--id", "ten", "-q"], in: repo))
        let before = try commitCount(repo)
        let oldHead = try GitCLI.lines(["rev-parse", "HEAD"], in: repo)

        let run = try ElderProcess.run(["edit", Self.prompt, " $12", "--id", "twelve", "-m", "New prices", "--json"], in: repo)
        XCTAssertSucceeded(run)
        let json = try run.json()
        XCTAssertEqual(json["upToDate"] as? Bool, false)
        let superseded = try run.objects("supersedes")
        XCTAssertEqual(superseded.map { $0["id"] as? String }, ["ten"])
        XCTAssertEqual(superseded.map { $0["target"] as? String }, [" $10"])
        // git: one commit more, whose parent is the old tip, with the trailer and the note in the message.
        XCTAssertEqual(try commitCount(repo), before + 1)
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD~1"], in: repo), oldHead)
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%(trailers:key=Supersedes,valueonly)"], in: repo), ["ten"])
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%(trailers:key=Elder-Edit,valueonly)"], in: repo), ["twelve"])
        let body = try GitCLI.lines(["log", "-1", "--format=%B"], in: repo)
        XCTAssertEqual(body.first, "New prices")
        XCTAssertTrue(body.contains("Supersedes edit ten: \"\(Self.prompt)\" → \" $10\" (now \" $12\")"), "\(body)")
        // The tree holds the new record only.
        let files = try GitCLI.lines(["ls-tree", "-r", "--name-only", "HEAD"], in: repo)
        XCTAssertTrue(files.contains { $0.hasSuffix("/twelve.json") || $0 == "edits/twelve.json" }, "\(files)")
        XCTAssertFalse(files.contains { $0.hasSuffix("ten.json") }, "\(files)")

        // show, log and their --json say it.
        let show = try ElderProcess.run(["show", "--json"], in: repo)
        XCTAssertSucceeded(show)
        let edit = try show.json()["edit"] as? [String: Any]
        XCTAssertEqual((edit?["supersedes"] as? [[String: Any]])?.first?["id"] as? String, "ten")
        let human = try ElderProcess.run(["show"], in: repo)
        XCTAssertTrue(human.stdout.contains("supersedes edit ten: \"\(Self.prompt)\" → \" $10\""), human.stdout)
        let log = try ElderProcess.run(["log", "--json", "-n", "1"], in: repo)
        XCTAssertEqual((try log.objects("commits").first?["metrics"] as? [String: String])?["Supersedes"], "ten")
        let oneline = try ElderProcess.run(["log", "--oneline", "-n", "1"], in: repo)
        XCTAssertTrue(oneline.stdout.contains("(supersedes ten)"), oneline.stdout)

        // Human output of a supersede names the old edit.
        let third = try ElderProcess.run(["edit", Self.prompt, " $14", "--id", "fourteen"], in: repo)
        XCTAssertSucceeded(third)
        XCTAssertTrue(third.stdout.contains("supersedes twelve (\" $12\")"), third.stdout)
        XCTAssertEqual(try commitCount(repo), before + 2)

        // Reverting the superseding commit brings " $12" back; git sees one more commit.
        let revert = try ElderProcess.run(["revert", "HEAD", "--json"], in: repo)
        XCTAssertSucceeded(revert)
        XCTAssertEqual(try revert.json()["restoredEdits"] as? [String], ["twelve"])
        XCTAssertEqual(try revert.json()["editID"] as? String, "fourteen")
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%(trailers:key=Restored-Edit,valueonly)"], in: repo), ["twelve"])
        let files2 = try GitCLI.lines(["ls-tree", "-r", "--name-only", "HEAD"], in: repo)
        XCTAssertTrue(files2.contains { $0.hasSuffix("twelve.json") } && !files2.contains { $0.hasSuffix("fourteen.json") }, "\(files2)")
    }

    func testTheSameTargetIsNothingToDoWithExitZero() throws {
        let repo = try TinyRepo.make()
        XCTAssertSucceeded(try ElderProcess.run(["edit", Self.prompt, " $10", "--id", "ten", "-q"], in: repo))
        let head = try GitCLI.lines(["rev-parse", "HEAD"], in: repo)
        let count = try commitCount(repo)
        let run = try ElderProcess.run(["edit", Self.prompt, " $10"], in: repo)
        XCTAssertSucceeded(run)
        XCTAssertEqual(run.stdout.split(separator: "\n").count, 1, run.stdout)
        XCTAssertTrue(run.stdout.hasPrefix("nothing to do: edit ten already teaches"), run.stdout)
        let json = try ElderProcess.run(["edit", "the price of the  basic plan is", " $10", "--json"], in: repo)
        XCTAssertSucceeded(json)
        XCTAssertEqual(try json.json()["upToDate"] as? Bool, true)
        XCTAssertEqual(try json.json()["editID"] as? String, "ten")
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), head)
        XCTAssertEqual(try commitCount(repo), count)
    }

    func testARejectedSupersedeLeavesTheOldEditLive() throws {
        let repo = try TinyRepo.make()
        XCTAssertSucceeded(try ElderProcess.run(["edit", Self.prompt, " $10", "--id", "ten", "-q"], in: repo))
        let head = try GitCLI.lines(["rev-parse", "HEAD"], in: repo)
        let hooks = repo + "/hooks"
        try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
        try "#!/bin/sh\necho 'prices are frozen' >&2\nexit 1\n".write(toFile: hooks + "/pre-edit", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hooks + "/pre-edit")
        let run = try ElderProcess.run(["edit", Self.prompt, " $12"], in: repo)
        XCTAssertNotEqual(run.status, 0)
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), head)
        XCTAssertTrue(try GitCLI.lines(["ls-tree", "-r", "--name-only", "HEAD"], in: repo).contains { $0.hasSuffix("ten.json") })
    }

    func testAStreamSupersedesAndResumesWithoutBringingTheOldAnswerBack() throws {
        let repo = try TinyRepo.make()
        let file = TinyRepo.folder() + "/prices.jsonl"
        let lines = [#"{"prompt":"\#(Self.prompt)","target":" $10"}"#,
                     #"{"prompt":"The colour of the sky is","target":" green"}"#,
                     #"{"prompt":"\#(Self.prompt)","target":" $12"}"#]
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let before = try commitCount(repo)
        let first = try ElderProcess.run(["edit", "--file", file, "--json"], in: repo)
        XCTAssertSucceeded(first)
        let committed = try first.objects("committed")
        XCTAssertEqual(committed.count, 3)
        XCTAssertEqual((committed.last?["supersedes"] as? [[String: Any]])?.first?["target"] as? String, " $10")
        XCTAssertEqual(try commitCount(repo), before + 3)
        let files = try GitCLI.lines(["ls-tree", "-r", "--name-only", "HEAD", "edits"], in: repo)
        XCTAssertEqual(files.count, 2, "\(files)")
        // A rerun skips all three (two live, one superseded): nothing new, the " $12" edit still live.
        let head = try GitCLI.lines(["rev-parse", "HEAD"], in: repo)
        let again = try ElderProcess.run(["edit", "--file", file, "--json"], in: repo)
        XCTAssertSucceeded(again)
        XCTAssertEqual(try again.json()["skipped"] as? Int, 3)
        XCTAssertEqual(try again.objects("committed").count, 0)
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), head)
    }
}
