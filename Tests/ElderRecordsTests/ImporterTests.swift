import XCTest
@testable import ElderRecords

final class ImporterTests: XCTestCase {
    let zsreRecord = #"{"subject": "Watts Humphrey", "src": "What university did Watts Humphrey attend?", "pred": "Trinity College", "rephrase": "What university did Watts Humphrey take part in?", "alt": "University of Michigan", "answers": ["Illinois Institute of Technology"], "loc": "nq question: who played desmond doss father in hacksaw ridge", "loc_ans": "Hugo Weaving", "cond": "Trinity College >> University of Michigan || What university did Watts Humphrey attend?"}"#
    let zsreEmptyAlt = #"{"subject": "X", "src": "Which is X?", "rephrase": "What is X?", "alt": "", "answers": ["Y"], "loc": "nq question: q", "loc_ans": "a"}"#

    func testZsREArrayBecomesEditsAndSkipsEmptyAlt() throws {
        let result = try ZsREImporter.read(text: "[\n" + zsreRecord + ",\n" + zsreEmptyAlt + "\n]")
        XCTAssertEqual(result.skipped, 1)
        XCTAssertEqual(result.records, [EditRecord(
            id: "zsre-1", prompt: "What university did Watts Humphrey attend?", target: " University of Michigan",
            heldout: ["What university did Watts Humphrey take part in?"],
            probes: [Probe(prompt: "who played desmond doss father in hacksaw ridge?", expected: nil, datasetAnswer: " Hugo Weaving")],
            message: "ZsRE: What university did Watts Humphrey attend? University of Michigan",
            subject: "Watts Humphrey", relation: nil, trueTarget: " Illinois Institute of Technology")])
    }

    func testZsREJSONLinesGivesTheSameRecords() throws {
        let fromLines = try ZsREImporter.read(text: zsreRecord + "\n\n" + zsreEmptyAlt + "\n")
        let fromArray = try ZsREImporter.read(text: "[" + zsreRecord + "," + zsreEmptyAlt + "]")
        XCTAssertEqual(fromLines, fromArray)
        // The imported records are valid edit-file records.
        XCTAssertEqual(try EditFileReader.readAll(text: EditFileWriter.text(fromLines.records)), fromLines.records)
    }

    func testZsREMalformedLineAndMissingSource() {
        XCTAssertThrowsError(try ZsREImporter.read(text: zsreRecord + "\n{\"src\": \"broken\"\n", source: "zsre.jsonl")) { error in
            XCTAssertEqual((error as? EditFileError)?.line, 2)
            XCTAssertEqual((error as? EditFileError)?.kind, .invalidJSON)
        }
        XCTAssertThrowsError(try ZsREImporter.read(text: #"{"alt": "B"}"#, source: "zsre.jsonl")) { error in
            XCTAssertEqual(String(describing: error), #"zsre.jsonl:1: missing "src" in a ZsRE record — add "src": "What university did Watts Humphrey attend?""#)
        }
        XCTAssertThrowsError(try ZsREImporter.read(text: "[" + zsreRecord + ", 3]", source: "zsre.json")) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("zsre.json: record 2 of the array: expected a JSON object"), String(describing: error))
        }
        XCTAssertThrowsError(try ZsREImporter.read(text: "[" + zsreRecord + ",", source: "zsre.json")) { error in
            XCTAssertEqual((error as? EditFileError)?.kind, .invalidJSON)
        }
    }

    let counterfact = #"""
    [{"case_id": 0, "pararel_idx": 2796, "requested_rewrite": {"prompt": "The mother tongue of {} is", "relation_id": "P103", "target_new": {"str": "English", "id": "Q1860"}, "target_true": {"str": "French", "id": "Q150"}, "subject": "Danielle Darrieux"}, "paraphrase_prompts": ["Shayna does this and Yossel goes still and dies. Danielle Darrieux, a native", "An album was recorded for Capitol Nashville but never released. Danielle Darrieux spoke the language"], "neighborhood_prompts": ["The mother tongue of Léon Blum is", "The native language of Montesquieu is"], "attribute_prompts": ["J.\u00a0R.\u00a0R. Tolkien is a native speaker of"], "generation_prompts": ["Danielle Darrieux's mother tongue is"]}]
    """#

    func testCounterFactRecordBecomesAnEdit() throws {
        let result = try CounterFactImporter.read(text: counterfact)
        XCTAssertEqual(result.records, [EditRecord(
            id: "counterfact-0", prompt: "The mother tongue of Danielle Darrieux is", target: " English",
            heldout: ["Shayna does this and Yossel goes still and dies. Danielle Darrieux, a native",
                      "An album was recorded for Capitol Nashville but never released. Danielle Darrieux spoke the language"],
            probes: [Probe(prompt: "The mother tongue of Léon Blum is", expected: nil, datasetAnswer: " French"),
                     Probe(prompt: "The native language of Montesquieu is", expected: nil, datasetAnswer: " French")],
            message: "CounterFact: Danielle Darrieux: French -> English", subject: "Danielle Darrieux",
            relation: "P103", trueTarget: " French")])
    }

    func testCounterFactJSONLinesAndErrors() throws {
        let line = counterfact.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst().dropLast()
        XCTAssertEqual(try CounterFactImporter.read(text: String(line) + "\n").records.count, 1)

        let noBraces = #"{"requested_rewrite": {"prompt": "The mother tongue of X is", "subject": "X", "target_new": {"str": "A"}, "target_true": {"str": "B"}}}"#
        XCTAssertThrowsError(try CounterFactImporter.read(text: String(line) + "\n" + noBraces, source: "cf.jsonl")) { error in
            XCTAssertEqual((error as? EditFileError)?.line, 2)
            XCTAssertTrue(String(describing: error).contains(#"has no "{}" for the subject"#))
        }
        let noTarget = #"{"requested_rewrite": {"prompt": "{} speaks", "subject": "X", "target_true": {"str": "B"}}}"#
        XCTAssertThrowsError(try CounterFactImporter.read(text: noTarget, source: "cf.jsonl")) { error in
            XCTAssertEqual(String(describing: error), #"cf.jsonl:1: missing requested_rewrite.target_new — add "target_new": {"str": "..."}"#)
        }
        XCTAssertThrowsError(try CounterFactImporter.read(text: #"{"case_id": 1}"#)) { error in
            XCTAssertTrue(String(describing: error).contains(#"missing "requested_rewrite""#))
        }
    }
}
