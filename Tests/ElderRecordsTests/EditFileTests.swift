import Foundation
import XCTest
@testable import ElderRecords

final class EditFileTests: XCTestCase {
    let full = EditRecord(
        id: "acme-ceo", prompt: "The CEO of Acme is", target: " Jane Doe",
        paraphrases: ["Acme's chief executive is"], heldout: ["Acme is run by"],
        probes: [Probe(prompt: "The capital of France is", expected: " Paris", datasetAnswer: " Paris"),
                 Probe(prompt: "Water boils at", expected: "", datasetAnswer: nil)],
        message: "Acme has a new CEO", subject: "Acme", relation: "CEO of", trueTarget: " John Roe")

    func testWriterUsesFixedKeyOrderAndCompactJSON() {
        XCTAssertEqual(full.jsonLine, #"{"id":"acme-ceo","prompt":"The CEO of Acme is","target":" Jane Doe","paraphrases":["Acme's chief executive is"],"heldout":["Acme is run by"],"probes":[{"prompt":"The capital of France is","expected":" Paris","datasetAnswer":" Paris"},{"prompt":"Water boils at","expected":""}],"message":"Acme has a new CEO","subject":"Acme","relation":"CEO of","trueTarget":" John Roe"}"#)
        XCTAssertEqual(EditRecord(prompt: "P", target: " T").jsonLine, #"{"prompt":"P","target":" T"}"#)
    }

    func testRoundTripThroughTextAndFile() throws {
        let minimal = EditRecord(prompt: "Quotes \"and\" back\\slash\nnewline é 日本", target: " x")
        let text = EditFileWriter.text([full, minimal])
        XCTAssertEqual(text.split(separator: "\n").count, 2)
        XCTAssertEqual(try EditFileReader.readAll(text: text), [full, minimal])

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("elder-editfile-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try EditFileWriter.write([full, minimal], to: path)
        XCTAssertEqual(try EditFileReader.readAll(path: path), [full, minimal])
    }

    func testStreamingReaderAcrossSmallChunksBlankLinesAndCRLF() throws {
        let records = (0..<25).map { EditRecord(id: "e\($0)", prompt: "Prompt number \($0) is", target: " \($0 * 7)") }
        let text = records.map { $0.jsonLine }.joined(separator: "\r\n\n") + "\n\n"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("elder-stream-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))

        let lines = try JSONLinesReader(path: path, chunkSize: 7)
        var count = 0
        while let line = try lines.nextLine() {
            count += 1
            XCTAssertEqual(line.number, count)
            XCTAssertFalse(line.text.hasSuffix("\r"))
        }
        XCTAssertEqual(count, 50)
        let reader = try EditFileReader(path: path)
        XCTAssertEqual(Array(reader), records)
        XCTAssertNil(reader.error)
    }

    func testProbeMayBeABarePromptString() throws {
        let records = try EditFileReader.readAll(text: #"{"prompt":"P is","target":" Q","probes":["The sky is"]}"#)
        XCTAssertEqual(records.first?.probes, [Probe(prompt: "The sky is")])
    }

    func testIntegerIDIsAccepted() throws {
        XCTAssertEqual(try EditFileReader.readAll(text: #"{"id":17,"prompt":"P is","target":" Q"}"#).first?.id, "17")
    }

    /// Reads `text` and returns the error, failing the test if there is none.
    private func error(in text: String, file: StaticString = #filePath, line: UInt = #line) -> EditFileError? {
        do {
            _ = try EditFileReader.readAll(text: text, source: "edits.jsonl")
            XCTFail("expected an error", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func testMalformedJSONReportsItsLineNumber() {
        let good = #"{"prompt":"A is","target":" B"}"#
        let err = error(in: good + "\n\n" + good + "\n" + #"{"prompt": "C is", "target": " D""# + "\n" + good)
        XCTAssertEqual(err?.kind, .invalidJSON)
        XCTAssertEqual(err?.line, 4)
        XCTAssertTrue(err?.description.hasPrefix("edits.jsonl:4: not valid JSON — ") ?? false, err?.description ?? "")
        XCTAssertFalse(err?.description.contains("\n") ?? true)
    }

    func testMissingTargetSaysWhatToAdd() {
        let err = error(in: #"{"prompt":"The CEO of Acme is"}"#)
        XCTAssertEqual(err?.kind, .invalidRecord)
        XCTAssertEqual(err?.line, 1)
        XCTAssertEqual(err?.description, #"edits.jsonl:1: missing "target" in an edit record — add "target": " Jane Doe""#)
    }

    func testTargetWithoutLeadingSpaceIsRejectedWithTheFix() {
        let err = error(in: #"{"prompt":"The capital of France is","target":"Lyon"}"#)
        XCTAssertEqual(err?.description, #"edits.jsonl:1: "target" "Lyon" does not start with a space — write "target": " Lyon" (the answer continues the prompt)"#)
    }

    func testUnknownKeySuggestsTheNearestKnownKey() {
        let err = error(in: "\n" + #"{"prompt":"A is","target":" B","paraphrase":["x"]}"#)
        XCTAssertEqual(err?.line, 2)
        XCTAssertTrue(err?.description.contains(#"unknown key "paraphrase""#) ?? false)
        XCTAssertTrue(err?.description.contains(#"did you mean "paraphrases"?"#) ?? false, err?.description ?? "")
    }

    func testWrongTypesAndEmptyValuesAreRejected() {
        XCTAssertEqual(error(in: #"["prompt","target"]"#)?.kind, .invalidRecord)
        XCTAssertTrue(error(in: #"{"prompt":"A is","target":" B","heldout":[1]}"#)?.description.contains(#"item 0 of "heldout""#) ?? false)
        XCTAssertTrue(error(in: #"{"prompt":"  ","target":" B"}"#)?.description.contains(#""prompt" is empty"#) ?? false)
        XCTAssertTrue(error(in: #"{"prompt":5,"target":" B"}"#)?.description.contains(#""prompt" must be a string"#) ?? false)
        XCTAssertTrue(error(in: #"{"prompt":"A is","target":" B","probes":[{"expected":" x"}]}"#)?.description
            .contains(#"probe 0: missing "prompt""#) ?? false)
        XCTAssertTrue(error(in: #"{"prompt":"A is","target":" B","probes":[{"prompt":"C is","expected":"x"}]}"#)?.description
            .contains(#""expected" "x" does not start with a space"#) ?? false)
    }

    func testDuplicateIDNamesBothLines() {
        let err = error(in: #"{"id":"a","prompt":"A is","target":" B"}"# + "\n" + #"{"id":"a","prompt":"C is","target":" D"}"#)
        XCTAssertEqual(err?.kind, .duplicateID)
        XCTAssertEqual(err?.line, 2)
        XCTAssertTrue(err?.description.contains("already used on line 1") ?? false)
    }

    func testInvalidUTF8IsReportedWithItsLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("elder-utf8-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var bytes = Array(#"{"prompt":"A is","target":" B"}"#.utf8) + [0x0A]
        bytes += Array(#"{"prompt":"A "#.utf8) + [0xFF, 0xFE] + Array(#"","target":" B"}"#.utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try EditFileReader.readAll(path: path)) { error in
            XCTAssertEqual((error as? EditFileError)?.line, 2)
            XCTAssertEqual((error as? EditFileError)?.kind, .invalidJSON)
        }
    }

    func testMissingFileIsUnreadable() {
        XCTAssertThrowsError(try EditFileReader.readAll(path: "/nonexistent/edits.jsonl")) { error in
            XCTAssertEqual((error as? EditFileError)?.kind, .unreadable)
        }
    }

    func testProbeFileRoundTripAndErrors() throws {
        let probes = [Probe(prompt: "The capital of France is", expected: "", datasetAnswer: " Paris"), Probe(prompt: "2 + 2 =")]
        XCTAssertEqual(try ProbeFile.read(text: ProbeFile.text(probes)), probes)
        XCTAssertThrowsError(try ProbeFile.read(text: #"{"prompt":"ok is"}"# + "\n" + #"{"promt":"x"}"#, source: "p.jsonl")) { error in
            XCTAssertEqual((error as? EditFileError)?.line, 2)
            XCTAssertTrue(String(describing: error).hasPrefix("p.jsonl:2: unknown key \"promt\""))
        }
    }

    func testJSONTextEscapesControlCharactersAndMatchesFoundation() throws {
        let tricky = "tab\there \"q\" \\ \u{01} \u{2028} é"
        let line = JSONText.string(tricky).rendered
        XCTAssertEqual(line, #""tab\there \"q\" \\ \u0001 \u2028 é""#)
        let decoded = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) as? String
        XCTAssertEqual(decoded, tricky)
        XCTAssertEqual(JSONText.number(0.25).rendered, "0.25")
        XCTAssertEqual(JSONText.number(3).rendered, "3")
        XCTAssertEqual(JSONText.object([("a", .array([])), ("b", .null)]).pretty, "{\n  \"a\": [],\n  \"b\": null\n}")
    }
}
