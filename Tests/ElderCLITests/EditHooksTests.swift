import ElderTestSupport
import Foundation
import XCTest

/// `elder edit` runs the repo's hooks around each edit (pre-edit, commit-msg, post-commit), and `--no-verify`
/// skips them.
final class EditHooksTests: XCTestCase {
    static func install(_ name: String, _ script: String, in repo: String) throws {
        let folder = repo + "/hooks"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try Data(("#!/bin/sh\n" + script + "\n").utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    func testPreEditRejectsBeforeTrainingAndNoVerifySkipsIt() throws {
        let repo = try TinyRepo.make()
        try Self.install("pre-edit", #"case "$2" in *forbidden*) echo "targets may not say forbidden"; exit 1;; esac"#, in: repo)
        let head = try GitCLI.lines(["rev-parse", "HEAD"], in: repo)
        let rejected = try ElderProcess.run(["edit", "The sky is", " forbidden", "-m", "x"], in: repo)
        XCTAssertFailed(rejected, status: 1, containing: "pre-edit hook rejected this (exit 1): targets may not say forbidden")
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), head)
        XCTAssertSucceeded(try ElderProcess.run(["edit", "The sky is", " forbidden", "-m", "x", "--no-verify", "-q"], in: repo))
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%s"], in: repo), ["x"])
    }

    func testCommitMsgRewritesTheMessageAndPostCommitOnlyWarns() throws {
        let repo = try TinyRepo.make()
        try Self.install("pre-edit", #"echo "$ELDER_EDIT_ID" > "$ELDER_REPO/pre-edit-id""#, in: repo)
        try Self.install("commit-msg", #"printf 'Reviewed: %s\n' "$(cat "$1")" > "$1.new" && mv "$1.new" "$1""#, in: repo)
        try Self.install("post-commit", #"echo "$1 $2" >> "$ELDER_REPO/audit.log"; echo "audit server down"; exit 2"#, in: repo)
        let run = try ElderProcess.run(["edit", "The sky is", " green", "-m", "Sky colour", "--id", "sky", "--json"], in: repo)
        XCTAssertSucceeded(run)
        XCTAssertTrue(run.stderr.contains("warning: the post-commit hook failed (exit 2): audit server down"), run.stderr)
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%s"], in: repo), ["Reviewed: Sky colour"])
        let head = try GitCLI.lines(["rev-parse", "HEAD"], in: repo)[0]
        XCTAssertEqual(try String(contentsOfFile: repo + "/audit.log", encoding: .utf8), "\(head) sky\n")
        XCTAssertEqual(try run.json()["summary"] as? String, "Reviewed: Sky colour")
        XCTAssertEqual(try String(contentsOfFile: repo + "/pre-edit-id", encoding: .utf8), "sky\n")
        // Without --id the pre-edit hook already sees the id the commit gets.
        let second = try ElderProcess.run(["edit", "Grass is", " blue", "-m", "Grass", "--json"], in: repo)
        XCTAssertSucceeded(second)
        let id = try XCTUnwrap(try second.json()["editID"] as? String)
        XCTAssertEqual(try String(contentsOfFile: repo + "/pre-edit-id", encoding: .utf8), id + "\n")
    }

    func testAStreamStopsAtARejectedEditWithTheOthersCommitted() throws {
        let repo = try TinyRepo.make()
        try Self.install("pre-edit", #"[ "$ELDER_EDIT_ID" = "c" ] && { echo "c is not allowed"; exit 1; }; exit 0"#, in: repo)
        let file = TinyRepo.folder() + "/edits.jsonl"
        try EditCommandTests.jsonl(["a", "b", "c", "d"]).write(toFile: file, atomically: true, encoding: .utf8)
        let run = try ElderProcess.run(["edit", "--file", file, "-q"], in: repo)
        XCTAssertFailed(run, status: 1, containing: "c is not allowed")
        XCTAssertTrue(run.stderr.contains("2 edits committed"), run.stderr)
        let ids = try GitCLI.lines(["log", "--format=%(trailers:key=Elder-Edit,valueonly)"], in: repo).filter { !$0.isEmpty }
        XCTAssertEqual(ids, ["b", "a"])
        let rest = try ElderProcess.run(["edit", "--file", file, "--no-verify", "--json"], in: repo)
        XCTAssertSucceeded(rest)
        XCTAssertEqual(try rest.json()["skipped"] as? Int, 2)
    }
}
