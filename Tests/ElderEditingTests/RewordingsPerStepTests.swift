@testable import ElderEditing
import ElderModel
import ElderTensor
import XCTest

/// Rewordings taken in turn (`rewordings-per-step`): each step trains the prompt and one rewording, and the
/// edit stops only when every rewording has converged in its turn, so each of them gives the target after.
final class RewordingsPerStepTests: XCTestCase {
    func testEveryRewordingTakenInTurnGivesTheTargetAfterTheEdit() throws {
        let (editor, loaded) = try tinyMixtureEditor {
            $0.iterations = 200
            $0.rewordings = 3
            $0.rewordingsPerStep = 1
        }
        let prompt = "The sky is", target = " QZ"
        let outcome = try editor.edit(EditRequest(id: "sky", prompt: prompt, target: target))
        XCTAssertTrue(outcome.converged, "loss \(outcome.initialLoss) -> \(outcome.finalLoss)")
        XCTAssertGreaterThanOrEqual(outcome.iterations, 2, "three rewordings in turn need three converged checks in a row, so at least two training steps")

        let tok = loaded.tokenizer
        let answer = tok.encode(target)
        let edited = EditedModel(editor: editor, model: loaded.model)
        let own = try XCTUnwrap(editor.routing(toEdit: "sky"))
        let wordings = [prompt] + PromptRewording.training(prompt, count: 3)
        XCTAssertEqual(wordings.count, 4)
        for wording in wordings {
            let logits = edited.answerLogits(prompt: tok.encode(wording), answer: answer, routing: own).logits
            XCTAssertEqual((0..<answer.count).map { argmax(logits.row($0)) }, answer, "'\(wording)' does not give the target")
        }
    }

    func testTurnsCoverEveryRewordingAndStopWaitsForAllOfThem() {
        // 1 given wording, 3 rewordings (rows 1-3), 2 replayed rows (4-5).
        let one = RewordingTurns(given: 1, rewordings: 3, replayed: 2, perStep: 1)
        XCTAssertEqual((0..<4).map(one.rows(atStep:)), [[0, 1, 4, 5], [0, 2, 4, 5], [0, 3, 4, 5], [0, 1, 4, 5]])
        XCTAssertEqual(one.convergedStepsToStop, 3)
        let two = RewordingTurns(given: 1, rewordings: 3, replayed: 2, perStep: 2)
        XCTAssertEqual((0..<3).map(two.rows(atStep:)), [[0, 1, 2, 4, 5], [0, 1, 3, 4, 5], [0, 2, 3, 4, 5]])
        XCTAssertEqual(two.convergedStepsToStop, 2)
        // Not in turn: every row, every step; one converged step stops, as before the setting.
        for all in [RewordingTurns(given: 1, rewordings: 3, replayed: 2, perStep: nil),
                    RewordingTurns(given: 1, rewordings: 3, replayed: 2, perStep: 5),
                    RewordingTurns(given: 2, rewordings: 0, replayed: 1, perStep: 1)] {
            XCTAssertEqual(all.rows(atStep: 7), Array(0..<(all.given + all.rewordings + all.replayed)))
            XCTAssertEqual(all.convergedStepsToStop, 1)
        }
    }

    func testRewordingsPerStepIsASettingAndAllByDefault() throws {
        let c = EditorConfiguration.elderDefault(blockCount: 30)
        XCTAssertNil(c.rewordingsPerStep)
        XCTAssertEqual(try c.applying(["rewordings-per-step": "1"]).rewordingsPerStep, 1)
        XCTAssertNil(try c.applying(["rewordings-per-step": "0"]).rewordingsPerStep)
        XCTAssertThrowsError(try c.applying(["rewordings-per-step": "-2"]).validate(blockCount: 30))
        XCTAssertThrowsError(try c.applying(["rewordings-per-step": "two"]))
    }
}
