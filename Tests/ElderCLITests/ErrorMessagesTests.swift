import ElderTestSupport
import Foundation
import XCTest

/// The errors a person met in the hostile review, each now one line saying what happened and what to do.
final class ErrorMessagesTests: XCTestCase {
    func testRefusalsSayWhatToDo() throws {
        let repo = try TinyRepo.make()
        let folder = TinyRepo.folder()
        // export into a file path
        let file = folder + "/out.txt"
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        XCTAssertFailed(try ElderProcess.run(["export", "--out", file], in: repo), status: 128, containing: "is a file: --out names a folder")
        // branch and tag names a shell or git would read otherwise
        XCTAssertFailed(try ElderProcess.run(["branch", "$(id)"], in: repo), status: 128, containing: "is not a valid branch name")
        XCTAssertFailed(try ElderProcess.run(["tag", "HEAD"], in: repo), status: 128, containing: "is not a valid tag name")
        // a 100 KB revision is not echoed whole
        let long = try ElderProcess.run(["log", String(repeating: "x", count: 100_000)], in: repo)
        XCTAssertFailed(long, status: 128, containing: "unknown revision")
        XCTAssertLessThan(long.stderr.utf8.count, 400)
        // JSON Lines with a byte-order mark, or a key given twice
        let bom = folder + "/bom.jsonl"
        try Data([0xEF, 0xBB, 0xBF] + Array("{\"prompt\": \"The sky is\", \"target\": \" green\"}\n".utf8)).write(to: URL(fileURLWithPath: bom))
        XCTAssertFailed(try ElderProcess.run(["edit", "--file", bom], in: repo), status: 128, containing: "byte-order mark")
        let twice = folder + "/twice.jsonl"
        try Data("{\"prompt\": \"The sky is\", \"target\": \" green\", \"target\": \" red\"}\n".utf8).write(to: URL(fileURLWithPath: twice))
        XCTAssertFailed(try ElderProcess.run(["edit", "--file", twice], in: repo), status: 128, containing: "\"target\" appears twice")
        XCTAssertEqual(try GitCLI.lines(["log", "--format=%s"], in: repo).count, 2, "nothing was committed")
    }

    func testAnInvalidUTF8PromptIsRefused() throws {
        let repo = try TinyRepo.make()
        // The shell passes the raw byte 0xFF (Foundation's Process would not).
        let script = "exec \"$0\" edit \"$(printf 'The sky is \\377')\" ' green' -m x"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, ElderProcess.binary]
        process.currentDirectoryURL = URL(fileURLWithPath: repo)
        process.environment = ElderProcess.environment()
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 128, text)
        XCTAssertTrue(text.contains("argument 2 is not valid UTF-8"), text)
        XCTAssertEqual(try GitCLI.lines(["log", "--format=%s"], in: repo).count, 2, "nothing was committed")
    }

    func testANonElderCommitOnTopIsListedByLogAndNamedByAsk() throws {
        let repo = try TinyRepo.make()
        let forge = Forge(repo: repo)
        let head = try forge.git(["rev-parse", "main"])
        try forge.commit(tree: head + "^{tree}", parent: head, message: "a plain git commit\n")
        let log = try ElderProcess.run(["log", "--oneline"], in: repo)
        XCTAssertSucceeded(log)
        XCTAssertTrue(log.stdout.contains("a plain git commit [not an Elder commit]"), log.stdout)
        XCTAssertFailed(try ElderProcess.run(["ask", "The sky is"], in: repo), status: 1, containing: "elder reset REV")
    }

    func testAnEditThatDoesNotHoldIsRefusedUnlessAllowedAndThenTheCommitSaysSo() throws {
        // One training step cannot teach a long target: the model that would be committed does not give it.
        let repo = try TinyRepo.make(extra: ["--set", "iterations=1"], allowNotHolding: false)
        let head = try GitCLI.lines(["rev-parse", "main"], in: repo)
        let refused = try ElderProcess.run(["edit", "The sky is", " a long and unlikely answer", "--id", "sky"], in: repo)
        XCTAssertFailed(refused, status: 1, containing: "edit sky does not hold")
        XCTAssertTrue(refused.stderr.contains("nothing committed") && refused.stderr.contains("--allow-not-holding"), refused.stderr)
        XCTAssertTrue(refused.stderr.range(of: #"gives \d+ of \d+ tokens"#, options: .regularExpression) != nil, refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "main"], in: repo), head)
        // A stream stops at it, with what landed before.
        let file = TinyRepo.folder() + "/edits.jsonl"
        try Data(#"{"id":"sky","prompt":"The sky is","target":" a long and unlikely answer"}"#.utf8).write(to: URL(fileURLWithPath: file))
        XCTAssertFailed(try ElderProcess.run(["edit", "--file", file], in: repo), status: 1, containing: "does not hold")
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "main"], in: repo), head)
        // Asked for, it is committed, and the commit says so.
        XCTAssertSucceeded(try ElderProcess.run(["edit", "The sky is", " a long and unlikely answer", "--id", "sky",
                                                 "--allow-not-holding", "-q"], in: repo))
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%(trailers:key=Allowed-Not-Holding,valueonly)"], in: repo), ["yes"])
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%(trailers:key=Reliability,valueonly)"], in: repo), ["0.000"])
        // The repo's own setting does the same for every edit; a value it cannot read is refused in one line.
        XCTAssertEqual(try GitCLI.run(["config", "elder.allowNotHolding", "maybe"], in: repo).status, 0)
        XCTAssertFailed(try ElderProcess.run(["edit", "The sea is", " a long and unlikely answer"], in: repo), status: 128,
                        containing: "git config elder.allowNotHolding is 'maybe': set it to true or false")
        XCTAssertEqual(try GitCLI.run(["config", "elder.allowNotHolding", "true"], in: repo).status, 0)
        XCTAssertSucceeded(try ElderProcess.run(["edit", "The sea is", " a long and unlikely answer", "-q"], in: repo))
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%(trailers:key=Allowed-Not-Holding,valueonly)"], in: repo), ["yes"])
    }

    func testEvalFailsWhenALiveEditDoesNotHold() throws {
        // One training step cannot teach a long target: committed on request, the edit does not hold.
        let repo = try TinyRepo.make(extra: ["--set", "iterations=1"])
        XCTAssertSucceeded(try ElderProcess.run(["edit", "The sky is", " a long and unlikely answer", "-m", "x", "-q",
                                                 "--allow-not-holding"], in: repo))
        let eval = try ElderProcess.run(["eval"], in: repo)
        XCTAssertFailed(eval, status: 1, containing: "live edit does not hold")
        XCTAssertSucceeded(try ElderProcess.run(["eval", "--no-require-edits", "-q"], in: repo))
    }
}
