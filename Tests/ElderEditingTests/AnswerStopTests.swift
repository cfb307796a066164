import ElderEditing
import ElderModel
import ElderTensor
import XCTest

/// After the taught answer, an edited model goes on as the base model continues prompt + answer.
final class AnswerStopTests: XCTestCase {
    func testGenerationAfterTheTaughtAnswerIsTheBaseModelsContinuation() throws {
        let (editor, loaded) = try tinyMixtureEditor()
        let tok = loaded.tokenizer
        let prompt = tok.encode("The sky is"), answer = tok.encode(" QZ")
        XCTAssertEqual(answer.count, 3)
        let outcome = try editor.edit(EditRequest(id: "sky", prompt: "The sky is", target: " QZ"))
        XCTAssertTrue(outcome.converged, "loss \(outcome.initialLoss) -> \(outcome.finalLoss)")
        XCTAssertEqual(editor.taughtAnswer(editID: "sky"), answer)
        XCTAssertNil(editor.taughtAnswer(editID: "other"))

        let edited = EditedModel(editor: editor, model: loaded.model)
        let out = edited.greedy(prompt: prompt, maxTokens: answer.count + 6)
        XCTAssertEqual(Array(out.prefix(answer.count)), answer, "the edit holds")
        XCTAssertTrue(edited.answerCompleted)

        // The base model's own greedy continuation of prompt + answer, from a fresh cache.
        let cache = KVCache(configuration: loaded.model.configuration)
        var logits = loaded.model.forward(prompt + answer, cache: cache, lastOnly: true)
        var base: [Int] = []
        for _ in 0..<6 {
            let next = argmax(logits.scalars)
            base.append(next)
            logits = loaded.model.forward([next], cache: cache, lastOnly: true)
        }
        XCTAssertEqual(Array(out.dropFirst(answer.count)), base, "after the answer: the base model's continuation")

        // Teacher forcing past the answer: rows after it are the base model's, bit for bit; rows of the answer
        // are the edit's (they give the answer).
        let ids = prompt + answer + base
        let (forced, routing) = edited.teacherForcedLogits(prompt: prompt, continuation: answer + base)
        XCTAssertTrue(routing.fired)
        let plain = loaded.model.forward(ids)
        let v = forced.lastDimension, first = prompt.count - 1 + answer.count
        XCTAssertTrue(Array(forced.scalars[(first * v)...]) == Array(plain.scalars[(first * v)...]), "rows after the answer differ")
        for i in 0..<answer.count { XCTAssertEqual(argmax(forced.row(prompt.count - 1 + i)), answer[i]) }
        // Scoring the answer alone is unchanged: the adapter acts on every row of it, the rows that give the
        // answer are the same either way (compared as bits, not printed).
        let (answerOnly, _) = edited.teacherForcedLogits(prompt: prompt, continuation: answer)
        XCTAssertEqual(answerOnly.rowCount, prompt.count + answer.count)
        XCTAssertTrue(Array(answerOnly.scalars[..<(first * v)]) == Array(forced.scalars[..<(first * v)]))

        // An unrelated prompt: the base model all along.
        let other = tok.encode("mn op")
        let plainOut = EditedModel(editor: editor, model: loaded.model).greedy(prompt: other, maxTokens: 5)
        let baseCache = KVCache(configuration: loaded.model.configuration)
        var l = loaded.model.forward(other, cache: baseCache, lastOnly: true)
        var expected: [Int] = []
        for _ in 0..<5 { let n = argmax(l.scalars); expected.append(n); l = loaded.model.forward([n], cache: baseCache, lastOnly: true) }
        XCTAssertEqual(plainOut, expected)
    }
}
