import ElderTestSupport
import Foundation
import XCTest

/// `elder edit --file` for scripts: `--json-lines` prints an event per record as the stream goes, and
/// `--json` still prints its one document when the stream stops at an error, so what landed is known.
final class EditStreamJSONTests: XCTestCase {
    /// Each line of standard output as a JSON object.
    static func events(_ run: String) throws -> [[String: Any]] {
        try run.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw NSError(domain: "EditStreamJSONTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "not an object: \(line)"])
            }
            return object
        }
    }

    func testJSONLinesPrintsAnEventPerRecordThenTheSummary() throws {
        let repo = try TinyRepo.make()
        let file = TinyRepo.folder() + "/edits.jsonl"
        try EditCommandTests.jsonl(["a", "b", "c"]).write(toFile: file, atomically: true, encoding: .utf8)
        // Edit "a" lands first on its own, so the stream skips it.
        XCTAssertSucceeded(try ElderProcess.run(["edit", "Fact number 0 is", " value 0", "--id", "a", "-q"], in: repo))

        let run = try ElderProcess.run(["edit", "--file", file, "--json-lines"], in: repo)
        XCTAssertSucceeded(run)
        let events = try Self.events(run.stdout)
        XCTAssertEqual(events.map { $0["type"] as? String }, ["skipped", "committed", "committed", "done"], run.stdout)
        XCTAssertEqual(events.map { $0["record"] as? Int }, [1, 2, 3, nil])
        XCTAssertEqual(events[0]["editID"] as? String, "a")
        XCTAssertEqual(events[0]["live"] as? Bool, true)
        // The committed events are the commits git sees, newest last, with `elder edit --json`'s fields.
        let heads = try GitCLI.lines(["log", "--format=%H", "-2"], in: repo)
        XCTAssertEqual(events[1..<3].map { $0["commit"] as? String }, heads.reversed().map { Optional($0) })
        XCTAssertEqual(events[1..<3].map { $0["editID"] as? String }, ["b", "c"])
        XCTAssertNotNil(events[1]["holds"] as? Bool)
        XCTAssertNotNil(events[1]["iterations"] as? Int)
        let summary = events[3]
        XCTAssertEqual(summary["total"] as? Int, 3)
        XCTAssertEqual(summary["committed"] as? Int, 2)
        XCTAssertEqual(summary["skipped"] as? Int, 1)
        XCTAssertEqual(summary["holding"] as? Int, events[1..<3].filter { $0["holds"] as? Bool == true }.count)
        XCTAssertNil(summary["error"])
    }

    func testAStreamThatStopsAtAnErrorStillSaysWhatLanded() throws {
        let repo = try TinyRepo.make()
        let file = TinyRepo.folder() + "/edits.jsonl"
        var lines = EditCommandTests.jsonl(["a", "b", "c"]).split(separator: "\n").map(String.init)
        lines[1] = #"{"id":"b","prompt":"Fact number 1 is","target":"no space"}"#
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)

        let streamed = try ElderProcess.run(["edit", "--file", file, "--json-lines"], in: repo)
        XCTAssertFailed(streamed, status: 128, containing: "edits.jsonl:2:")
        let events = try Self.events(streamed.stdout)
        XCTAssertEqual(events.map { $0["type"] as? String }, ["committed", "error"], streamed.stdout)
        XCTAssertEqual(events[1]["committed"] as? Int, 1)
        XCTAssertTrue((events[1]["error"] as? String)?.contains("edits.jsonl:2:") == true, streamed.stdout)
        XCTAssertEqual(events[0]["commit"] as? String, try GitCLI.lines(["rev-parse", "HEAD"], in: repo).first)

        // --json: one document, with the error, on standard output; the one-line error on standard error.
        let document = try ElderProcess.run(["edit", "--file", file, "--json"], in: repo)
        XCTAssertFailed(document, status: 128, containing: "edits.jsonl:2:")
        let json = try document.json()
        XCTAssertEqual(json["skipped"] as? Int, 1)
        XCTAssertEqual((json["committed"] as? [Any])?.count, 0)
        XCTAssertTrue((json["error"] as? String)?.contains("does not start with") == true, document.stdout)
    }

    func testJSONLinesIsForStreamsAndNotBesideJSON() throws {
        let repo = try TinyRepo.make()
        let head = try GitCLI.lines(["rev-parse", "HEAD"], in: repo)
        XCTAssertFailed(try ElderProcess.run(["edit", "P is", " T", "--json-lines"], in: repo), status: 128, containing: "--json-lines applies to --file")
        XCTAssertFailed(try ElderProcess.run(["edit", "--file", "x.jsonl", "--json", "--json-lines"], in: repo),
                        status: 128, containing: "not both")
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), head)
    }

    /// Ctrl-C: the last line says the stream was interrupted and how many edits it kept (git agrees).
    func testAnInterruptedJSONLinesStreamEndsWithItsOwnEvent() throws {
        let repo = try TinyRepo.make()
        let file = TinyRepo.folder() + "/many.jsonl"
        try EditCommandTests.jsonl((0..<40).map { "k\($0)" }).write(toFile: file, atomically: true, encoding: .utf8)
        let base = try GitCLI.lines(["log", "--format=%H"], in: repo).count

        let running = try RunningElder.start(["edit", "--file", file, "--json-lines"], in: repo)
        running.waitForLines(1)
        XCTAssertTrue(running.process.isRunning, "the stream ended before it could be interrupted")
        XCTAssertEqual(running.interrupt(SIGTERM), 143)
        let events = try Self.events(running.stdout)
        let last = try XCTUnwrap(events.last)
        XCTAssertEqual(last["type"] as? String, "interrupted", running.stdout)
        XCTAssertEqual(last["signal"] as? Int, Int(SIGTERM))
        let committed = try GitCLI.lines(["log", "--format=%H"], in: repo).count - base
        XCTAssertEqual(last["committed"] as? Int, committed)
        XCTAssertEqual(events.dropLast().filter { $0["type"] as? String == "committed" }.count, committed)
        XCTAssertTrue(running.stderr.contains("interrupted: the edit in progress was not committed"), running.stderr)
    }
}
