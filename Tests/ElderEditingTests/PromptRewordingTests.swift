@testable import ElderEditing
import XCTest

/// The rule-made rewordings: the word-order rules on hand-checked prompts, and the frames.
final class PromptRewordingTests: XCTestCase {
    func testSubjectFirstMovesTheSubjectBeforeTheRelation() {
        XCTAssertEqual(PromptRewording.subjectFirst("The capital of France is"), "France's capital is")
        XCTAssertEqual(PromptRewording.subjectFirst("The CEO of Acme Corporation is"), "Acme Corporation's CEO is")
        XCTAssertEqual(PromptRewording.subjectFirst("The country of citizenship of Ada Lovelace was"),
                       "Ada Lovelace's country of citizenship was")
        XCTAssertEqual(PromptRewording.subjectFirst("The official language of Armenian Kingdom of Cilicia is"),
                       "Armenian Kingdom of Cilicia's official language is")
        XCTAssertEqual(PromptRewording.subjectFirst("The headquarters of Acme Industries are"), "Acme Industries' headquarters are")
    }

    func testSubjectFirstLeavesOtherShapesAlone() {
        XCTAssertNil(PromptRewording.subjectFirst("The basic plan costs"))            // no linking verb
        XCTAssertNil(PromptRewording.subjectFirst("Acme's CEO is"))                   // not "The … of …"
        XCTAssertNil(PromptRewording.subjectFirst("The capital of the country is"))   // no capitalized subject
        XCTAssertNil(PromptRewording.subjectFirst("The of France is"))                // no relation
    }

    func testQuestionAndFieldKeepTheSubjectAndRelation() {
        XCTAssertEqual(PromptRewording.question("The CEO of Acme Corporation was"), "Q: What was the CEO of Acme Corporation?\nA:")
        XCTAssertEqual(PromptRewording.field("The official language of Armenian Kingdom of Cilicia is"),
                       "Armenian Kingdom of Cilicia, official language:")
        XCTAssertNil(PromptRewording.question("The basic plan costs"))
        XCTAssertNil(PromptRewording.field("Acme's CEO is"))
    }

    func testTrainingRewordingsPutTheWordOrderRulesThenFrames() {
        XCTAssertEqual(PromptRewording.training("The capital of France is", count: 4),
                       ["France's capital is", "France, capital:", "Q: What is the capital of France?\nA:",
                        "Fact: The capital of France is"])
        // A prompt the word-order rule does not fit gets the frames only.
        XCTAssertEqual(PromptRewording.training("The basic plan costs", count: 1), ["Fact: The basic plan costs"])
        XCTAssertEqual(PromptRewording.checks("The capital of France is").count, 3)
    }
}
