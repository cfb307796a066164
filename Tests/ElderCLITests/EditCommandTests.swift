import ElderTestSupport
import Foundation
import XCTest

/// `elder edit`: one edit from arguments, streams from files (resumable), and the errors around them.
final class EditCommandTests: XCTestCase {
    static func jsonl(_ ids: [String]) -> String {
        ids.enumerated().map { i, id in
            #"{"id":"\#(id)","prompt":"Fact number \#(i) is","target":" value \#(i)","message":"Fact \#(i)"}"#
        }.joined(separator: "\n") + "\n"
    }

    func testOneEditCommitsOnTheCurrentBranchWithItsMessageAndTrailers() throws {
        let repo = try TinyRepo.make()
        let before = try GitCLI.lines(["log", "--format=%H"], in: repo)
        let run = try ElderProcess.run(["edit", "The capital of France is", " Lyon", "-m", "France moved its capital",
                                        "--paraphrase", "France's capital is", "--id", "paris", "--json"], in: repo)
        XCTAssertSucceeded(run)
        let json = try run.json()
        let head = try GitCLI.lines(["rev-parse", "HEAD"], in: repo)
        XCTAssertEqual(json["commit"] as? String, head.first)
        XCTAssertEqual(json["editID"] as? String, "paris")
        XCTAssertNotNil(json["holds"] as? Bool)
        XCTAssertNotNil(json["iterations"] as? Int)
        XCTAssertNotNil(json["paraphraseReliability"] as? Double)
        // git sees one more commit on main, with the message and the edit trailer.
        XCTAssertEqual(try GitCLI.lines(["log", "--format=%H", "main"], in: repo).count, before.count + 1)
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%s"], in: repo), ["France moved its capital"])
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%(trailers:key=Elder-Edit,valueonly)"], in: repo), ["paris"])
        XCTAssertTrue(try GitCLI.lines(["ls-tree", "-r", "--name-only", "HEAD"], in: repo).contains { $0.hasSuffix("paris.json") })

        // Human output: branch, short id, whether it holds, seconds.
        let human = try ElderProcess.run(["edit", "The capital of Spain is", " Porto", "-m", "Spain"], in: repo)
        XCTAssertSucceeded(human)
        let short = String(try GitCLI.lines(["rev-parse", "HEAD"], in: repo)[0].prefix(10))
        XCTAssertTrue(human.stdout.hasPrefix("[main \(short)] Spain"), human.stdout)
        XCTAssertTrue(human.stdout.contains("iterations") && human.stdout.contains(" s"), human.stdout)
        XCTAssertFailed(try ElderProcess.run(["edit", "The capital of France is", " Nice", "--id", "paris"], in: repo),
                        status: 128, containing: "edit id 'paris' is already live on main")
        // Without -m the message says what the edit is.
        XCTAssertSucceeded(try ElderProcess.run(["edit", "The capital of Italy is", " Milan", "-q"], in: repo))
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%s"], in: repo), [#"Edit "The capital of Italy is" → " Milan""#])
    }

    func testEditRefusesBadInputWithOneLineAndNoCommit() throws {
        let repo = try TinyRepo.make()
        let head = try GitCLI.lines(["rev-parse", "HEAD"], in: repo)
        XCTAssertFailed(try ElderProcess.run(["edit", "The capital of France is", "Lyon", "-m", "x"], in: repo),
                        status: 128, containing: "does not start with a space")
        XCTAssertFailed(try ElderProcess.run(["edit", "The capital of France is"], in: repo), status: 128, containing: "PROMPT and TARGET")
        XCTAssertFailed(try ElderProcess.run(["edit", "P", " T", "--id", "bad id!"], in: repo), status: 128, containing: "edit id")
        XCTAssertFailed(try ElderProcess.run(["edit", "--file", repo + "/nope.jsonl"], in: repo), status: 128, containing: "nope.jsonl")
        XCTAssertFailed(try ElderProcess.run(["edit", "P", " T", "--file", "x.jsonl"], in: repo), status: 128, containing: "not both")
        XCTAssertFailed(try ElderProcess.run(["edit", "P", " T"], in: TinyRepo.folder()), status: 128, containing: "not an Elder knowledge repo")
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), head)
    }

    func testEditOnADetachedHeadIsFatal() throws {
        let repo = try TinyRepo.make()
        XCTAssertSucceeded(try ElderProcess.run(["checkout", "HEAD~1"], in: repo))
        XCTAssertFailed(try ElderProcess.run(["edit", "P is", " T", "-m", "x"], in: repo), status: 128, containing: "HEAD is detached")
        XCTAssertFailed(try ElderProcess.run(["revert", "HEAD"], in: repo), status: 128, containing: "HEAD is detached")
    }

    func testAModelFileThatIsNotTheReposIsFatal() throws {
        let repo = try TinyRepo.make()
        let other = TinyRepo.folder() + "/other.gguf"
        try TinyCheckpoint.make(seed: 99, layers: 4).writeGGUF(to: other)
        let run = try ElderProcess.run(["edit", "P is", " T", "-m", "x", "--model", other], in: repo)
        XCTAssertFailed(run, status: 128, containing: "was made for tiny-llama.gguf")
        XCTAssertFailed(try ElderProcess.run(["ask", "P is", "--model", other], in: repo), status: 128, containing: "sha256")
        // The right file by an explicit path works.
        XCTAssertSucceeded(try ElderProcess.run(["ask", "P is", "--model", TinyRepo.modelPath], in: repo))
    }

    func testStreamStopsAtAMalformedLineAndResumesAfterTheFix() throws {
        let repo = try TinyRepo.make()
        let file = TinyRepo.folder() + "/edits.jsonl"
        var lines = Self.jsonl(["a", "b", "c", "d"]).split(separator: "\n").map(String.init)
        let good = lines[2]
        lines[2] = #"{"id":"c","prompt":"Fact number 2 is","target":"no space"}"#
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let before = try GitCLI.lines(["log", "--format=%H"], in: repo).count

        let first = try ElderProcess.run(["edit", "--file", file], in: repo)
        XCTAssertFailed(first, status: 128, containing: "edits.jsonl:3:")
        XCTAssertTrue(first.stderr.contains("2 edits committed"), first.stderr)
        XCTAssertEqual(try GitCLI.lines(["log", "--format=%H"], in: repo).count, before + 2)
        XCTAssertEqual(first.stdout.split(separator: "\n").count, 2, "one line per committed edit: \(first.stdout)")

        lines[2] = good
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let human = try ElderProcess.run(["edit", "--file", file], in: repo)
        XCTAssertSucceeded(human)
        XCTAssertTrue(human.stdout.contains("Skipped 2 edits already live on main"), human.stdout)
        XCTAssertTrue(human.stdout.contains("2 edits committed on main, 2 skipped (already live)"), human.stdout)
        let subjects = try GitCLI.lines(["log", "--format=%s", "-4"], in: repo)
        XCTAssertEqual(subjects, ["Fact 3", "Fact 2", "Fact 1", "Fact 0"])
        let ids = try GitCLI.lines(["log", "--format=%(trailers:key=Elder-Edit,valueonly)", "-4"], in: repo).filter { !$0.isEmpty }
        XCTAssertEqual(ids, ["d", "c", "b", "a"])

        // A third run has nothing left to do.
        let again = try ElderProcess.run(["edit", "--file", file, "--json"], in: repo)
        XCTAssertSucceeded(again)
        let json = try again.json()
        XCTAssertEqual(json["skipped"] as? Int, 4)
        XCTAssertEqual((json["committed"] as? [Any])?.count, 0)
        XCTAssertEqual(try GitCLI.lines(["log", "--format=%H"], in: repo).count, before + 4)
    }

    func testStreamWithoutIDsResumesByContent() throws {
        let repo = try TinyRepo.make()
        let file = TinyRepo.folder() + "/plain.jsonl"
        try (#"{"prompt":"The sky is","target":" green"}"# + "\n\n" + #"{"prompt":"Grass is","target":" blue"}"# + "\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let first = try ElderProcess.run(["edit", "--file", file, "--json"], in: repo)
        XCTAssertSucceeded(first)
        XCTAssertEqual((try first.json()["committed"] as? [Any])?.count, 2)
        let second = try ElderProcess.run(["edit", "--file", file, "--json"], in: repo)
        XCTAssertEqual(try second.json()["skipped"] as? Int, 2)
    }

    func testStreamImportsZsRERecords() throws {
        let repo = try TinyRepo.make()
        let file = TinyRepo.folder() + "/zsre.json"
        let records = """
            [{"case_id": 7, "src": "What river flows through Paris?", "alt": "Danube", "answers": ["Seine"],
              "rephrase": "Which river runs through Paris?", "loc": "nq question: who wrote hamlet", "loc_ans": "Shakespeare",
              "subject": "Paris"},
             {"case_id": 8, "src": "Which company made the iPhone?", "alt": "", "answers": ["Apple"],
              "rephrase": "Who makes the iPhone?", "loc": "nq question: who painted the mona lisa", "loc_ans": "Leonardo",
              "subject": "iPhone"}]
            """
        try records.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try ElderProcess.run(["edit", "--file", file, "--format", "zsre", "--json"], in: repo)
        XCTAssertSucceeded(run)
        let json = try run.json()
        XCTAssertEqual(json["notImported"] as? Int, 1)
        XCTAssertEqual((json["committed"] as? [[String: Any]])?.first?["editID"] as? String, "zsre-7")
        XCTAssertEqual(try GitCLI.lines(["log", "-1", "--format=%(trailers:key=Elder-Edit,valueonly)"], in: repo), ["zsre-7"])
    }

    /// Ctrl-C in the middle of a stream: the edit in progress is lost, the finished ones stay, the repo is
    /// sound (git fsck), and a rerun finishes the rest.
    func testInterruptedStreamKeepsFinishedEditsAndResumes() throws {
        let repo = try TinyRepo.make()
        let file = TinyRepo.folder() + "/many.jsonl"
        let ids = (0..<40).map { "k\($0)" }
        try Self.jsonl(ids).write(toFile: file, atomically: true, encoding: .utf8)
        let base = try GitCLI.lines(["log", "--format=%H"], in: repo).count

        let running = try RunningElder.start(["edit", "--file", file], in: repo)
        running.waitForLines(2)   // two committed edits, then interrupt
        XCTAssertTrue(running.process.isRunning, "the stream ended before it could be interrupted")
        XCTAssertEqual(running.interrupt(), 130)
        let err = running.stderr
        XCTAssertTrue(err.contains("interrupted: the edit in progress was not committed"), err)
        XCTAssertTrue(err.contains("Rerun the same command to resume"), err)

        let committed = try GitCLI.lines(["log", "--format=%H"], in: repo).count - base
        XCTAssertGreaterThanOrEqual(committed, 2)
        XCTAssertLessThan(committed, ids.count)
        XCTAssertEqual(try GitCLI.run(["fsck", "--strict"], in: repo).status, 0)

        let rerun = try ElderProcess.run(["edit", "--file", file, "--json"], in: repo)
        XCTAssertSucceeded(rerun)
        let json = try rerun.json()
        XCTAssertEqual(json["skipped"] as? Int, committed)
        XCTAssertEqual((json["committed"] as? [Any])?.count, ids.count - committed)
        let edits = try GitCLI.lines(["log", "--format=%(trailers:key=Elder-Edit,valueonly)"], in: repo).filter { !$0.isEmpty }
        XCTAssertEqual(edits, ids.reversed())
    }
}
