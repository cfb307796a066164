import ElderRecords
import XCTest
@testable import ElderEval

final class LifelongRunTests: XCTestCase {
    /// Whole words are tokens: a word's id is its index in a growing vocabulary.
    final class WordTokenizer: TextEncoder {
        var vocabulary: [String: Int] = [:]
        func encode(_ text: String) throws -> [Int] {
            text.split(separator: " ").map { word in
                if let id = vocabulary[String(word)] { return id }
                vocabulary[String(word)] = vocabulary.count
                return vocabulary.count - 1
            }
        }
    }

    /// A model that answers from a table of prompt tokens → answer tokens, and "-1" otherwise.
    struct Table: TeacherForcedScorer {
        var answers: [[Int]: [Int]] = [:]
        func argmaxTokens(prompt: [Int], target: [Int]) throws -> [Int] {
            let answer = answers[prompt] ?? []
            return (0..<target.count).map { $0 < answer.count ? answer[$0] : -1 }
        }
    }

    /// Memorizes each edit's prompt and training paraphrases; `forgetful` keeps only the latest edit.
    final class Memorizer: LifelongEditor {
        let encoder: WordTokenizer
        let forgetful: Bool
        var table: Table
        var applied = 0
        init(encoder: WordTokenizer, base: Table, forgetful: Bool) {
            self.encoder = encoder
            self.forgetful = forgetful
            table = base
        }
        func apply(_ edit: EditRecord) throws {
            if forgetful { table = Table() }   // also forgets what the base model knew
            for prompt in [edit.prompt] + edit.paraphrases {
                table.answers[try encoder.encode(prompt)] = try encoder.encode(edit.target)
            }
            applied += 1
        }
        var scorer: TeacherForcedScorer { table }
    }

    func edits() -> [EditRecord] {
        (0..<4).map { i in
            EditRecord(id: "e\(i)", prompt: "capital of c\(i) is", target: " new\(i) city", paraphrases: ["c\(i) has capital"],
                       heldout: ["c\(i) is governed from"], probes: [Probe(prompt: "sky of p\(i) is", expected: "", datasetAnswer: " blue")])
        }
    }

    func base(_ tokenizer: WordTokenizer) throws -> Table {
        var table = Table()
        for i in 0..<4 { table.answers[try tokenizer.encode("sky of p\(i) is")] = try tokenizer.encode("blue") }
        return table
    }

    func testMemorizerKeepsEditsButDoesNotGeneralize() throws {
        let tokenizer = WordTokenizer()
        let base = try base(tokenizer)
        let editor = Memorizer(encoder: tokenizer, base: base, forgetful: false)
        let run = LifelongRun(checkpoints: [2], afterEachEdit: true)
        var progress: [Int] = []
        let result = try run.run(method: "memorizer", edits: edits(), editor: editor, base: base, encoder: tokenizer) { t, _ in progress.append(t) }
        XCTAssertEqual(progress, [1, 2, 3, 4])
        XCTAssertEqual(result.curve.points.map(\.editsApplied), [2, 4])
        let final = try XCTUnwrap(result.curve.final)
        XCTAssertEqual(final.reliability.exactMatch, 1)
        XCTAssertEqual(final.reliability.count, 4)
        XCTAssertEqual(final.generalization.exactMatch, 0)
        XCTAssertEqual(final.locality.exactMatch, 1)
        XCTAssertEqual(result.curve.immediate?.reliability.exactMatch, 1)
        XCTAssertNotNil(result.secondsPerEdit)
    }

    func testForgettingShowsInFinalButNotInAfterEachEdit() throws {
        let tokenizer = WordTokenizer()
        let base = try base(tokenizer)
        let editor = Memorizer(encoder: tokenizer, base: base, forgetful: true)
        let result = try LifelongRun(checkpoints: LifelongRun.evenCheckpoints(4, editCount: 4), afterEachEdit: true)
            .run(method: "forgetful", edits: edits(), editor: editor, base: base, encoder: tokenizer)
        // Right after each edit it holds (100 %); after all 4 only the last one does (25 %).
        XCTAssertEqual(result.curve.immediate?.reliability.exactMatch, 1)
        XCTAssertEqual(result.curve.final?.reliability.exactMatch, 0.25)
        XCTAssertEqual(result.curve.points.map { $0.reliability.exactMatch }, [1, 0.5, 1.0 / 3.0, 0.25])
        // It also forgot the base model's answers: locality 0 everywhere after editing.
        XCTAssertEqual(result.curve.final?.locality.exactMatch, 0)
        // Teacher-forced token accuracy of a forgotten 2-token answer is 0; of a kept one 1.
        XCTAssertEqual(result.curve.final?.reliability.tokenAccuracy, 0.25)
    }

    func testCheckpointsAndMedian() {
        XCTAssertEqual(LifelongRun.evenCheckpoints(4, editCount: 1000), [250, 500, 750, 1000])
        XCTAssertEqual(LifelongRun.evenCheckpoints(3, editCount: 10), [4, 7, 10])
        XCTAssertEqual(LifelongRun.evenCheckpoints(20, editCount: 3), [1, 2, 3])
        XCTAssertEqual(LifelongRun(checkpoints: [0, 5, 2, 50], afterEachEdit: false).checkpointSet(editCount: 10), [2, 5, 10])
        XCTAssertEqual(LifelongRun(checkpoints: [], afterEachEdit: false).evaluationProtocol(editCount: 7, editSet: "f").checkpoints, [7])
        XCTAssertEqual(median([3, 1, 2]), 2)
        XCTAssertEqual(median([4, 1, 3, 2]), 2.5)
        XCTAssertNil(median([]))
    }

    func testEmptyEditSetIsAnError() throws {
        let tokenizer = WordTokenizer()
        XCTAssertThrowsError(try LifelongRun(checkpoints: [], afterEachEdit: false)
            .run(method: "m", edits: [], editor: Memorizer(encoder: tokenizer, base: Table(), forgetful: false), base: Table(), encoder: tokenizer))
    }
}
