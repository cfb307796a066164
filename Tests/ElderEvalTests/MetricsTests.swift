import ElderRecords
import XCTest
@testable import ElderEval

final class MetricsTests: XCTestCase {
    func testTokenAccuracyAndExactMatchByHand() throws {
        // Target " Jane Doe" = [5, 8, 9]; the model gets tokens 1 and 3 right: 2/3, not exact.
        let partly = try TokenComparison(predicted: [5, 7, 9], reference: [5, 8, 9])
        XCTAssertEqual(partly.matches, 2)
        XCTAssertEqual(partly.tokenAccuracy, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertFalse(partly.exactMatch)
        let right = try TokenComparison(predicted: [5, 8, 9], reference: [5, 8, 9])
        XCTAssertEqual(right.tokenAccuracy, 1)
        XCTAssertTrue(right.exactMatch)
        // A short prediction counts its missing positions as wrong.
        let short = try TokenComparison(predicted: [5], reference: [5, 8])
        XCTAssertEqual(short.tokenAccuracy, 0.5)
        XCTAssertFalse(short.exactMatch)
        XCTAssertThrowsError(try TokenComparison(predicted: [], reference: []))
    }

    func testScoreAveragesPerExampleNotPerToken() throws {
        // Example 1: 1 of 1 right; example 2: 1 of 4 right. Per-example mean = (1 + 0.25) / 2 = 0.625
        // (a pooled per-token rate would be 2/5 = 0.4). Exact match: 1 of 2 = 0.5.
        let score = MetricScore([try TokenComparison(predicted: [3], reference: [3]),
                                 try TokenComparison(predicted: [1, 0, 0, 0], reference: [1, 2, 3, 4])])
        XCTAssertEqual(score.tokenAccuracy, 0.625, accuracy: 1e-12)
        XCTAssertEqual(score.exactMatch, 0.5)
        XCTAssertEqual(score.count, 2)
        XCTAssertEqual(MetricScore([]), .empty)
    }

    /// Two edits scored after both were made: reliability 1 of 2 exact, generalization 2 of 3,
    /// locality: probe positions vs the base model's argmax, 3 of 4 whole answers equal.
    func hand() throws -> [EditScores] {
        let c = { (p: [Int], r: [Int]) in try TokenComparison(predicted: p, reference: r) }
        return [
            EditScores(editID: "a", reliability: [try c([1, 2], [1, 2])],
                       generalization: [try c([1, 2], [1, 2]), try c([1, 0], [1, 2])],
                       locality: [try c([7], [7]), try c([8, 9], [8, 0])]),
            EditScores(editID: "b", reliability: [try c([0, 4], [3, 4])],
                       generalization: [try c([3, 4], [3, 4])],
                       locality: [try c([5], [5]), try c([6, 6], [6, 6])]),
        ]
    }

    func testSnapshotPoolsReliabilityGeneralizationLocality() throws {
        let snapshot = MetricsSnapshot(editsApplied: 2, scores: try hand())
        XCTAssertEqual(snapshot.reliability.exactMatch, 0.5)
        XCTAssertEqual(snapshot.reliability.tokenAccuracy, 0.75, accuracy: 1e-12)          // (1 + 0.5) / 2
        XCTAssertEqual(snapshot.generalization.exactMatch, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(snapshot.generalization.tokenAccuracy, 2.5 / 3.0, accuracy: 1e-12)  // (1 + 0.5 + 1) / 3
        XCTAssertEqual(snapshot.locality.exactMatch, 0.75)
        XCTAssertEqual(snapshot.locality.tokenAccuracy, 3.5 / 4.0, accuracy: 1e-12)        // (1 + 0.5 + 1 + 1) / 4
        XCTAssertEqual(snapshot.locality.count, 4)
    }

    func testCurveKeepsOrderFinalAndAfterEachEdit() throws {
        let scores = try hand()
        var curve = LifelongCurve()
        try curve.record(editsApplied: 1, scores: [scores[0]])
        try curve.record(editsApplied: 2, scores: scores)
        XCTAssertThrowsError(try curve.record(editsApplied: 2, scores: scores))
        XCTAssertEqual(curve.points.map(\.editsApplied), [1, 2])
        XCTAssertEqual(curve.points[0].reliability.exactMatch, 1)
        XCTAssertEqual(curve.final?.reliability.exactMatch, 0.5)
        XCTAssertNil(curve.immediate)
        curve.recordImmediate(scores[1])
        curve.recordImmediate(scores[0])
        XCTAssertEqual(curve.immediate?.editsApplied, 2)
        XCTAssertEqual(curve.immediate?.generalization.exactMatch ?? 0, 2.0 / 3.0, accuracy: 1e-12)
    }

    /// A toy model over a 10-token vocabulary: words are single tokens; the model answers each prompt
    /// from a table, and otherwise predicts "0". Teacher forcing: position i sees target[..<i].
    struct ToyTokenizer: TextEncoder {
        let vocabulary = ["The", "CEO", "of", "Acme", "is", "Jane", "Doe", "Boss", "sky", "blue"]
        func encode(_ text: String) throws -> [Int] {
            try text.split(separator: " ").map { word in
                guard let id = vocabulary.firstIndex(of: String(word)) else { throw MetricError(description: "unknown word \(word)") }
                return id
            }
        }
    }

    struct TableModel: TeacherForcedScorer {
        var answers: [[Int]: [Int]]
        func argmaxTokens(prompt: [Int], target: [Int]) throws -> [Int] {
            let answer = answers[prompt] ?? []
            return (0..<target.count).map { $0 < answer.count ? answer[$0] : 0 }
        }
    }

    func testEvaluatorScoresAnEditAgainstTheBaseModel() throws {
        let edit = EditRecord(prompt: "The CEO of Acme is", target: " Jane Doe", heldout: ["Acme Boss is"],
                              probes: [Probe(prompt: "The sky is", expected: "", datasetAnswer: " blue")])
        let tokenizer = ToyTokenizer()
        let base = TableModel(answers: [[0, 8, 4]: [9]])
        var baseline = ProbeBaseline()
        try baseline.measure(edit.probes, base: base, encoder: tokenizer)
        XCTAssertEqual(baseline.entry(for: edit.probes[0])?.baseArgmax, [9])

        // Edited model: the prompt fully right, the paraphrase half right, the probe unchanged.
        let edited = TableModel(answers: [[0, 1, 2, 3, 4]: [5, 6], [3, 7, 4]: [5, 0], [0, 8, 4]: [9]])
        let scores = try EditEvaluator(encoder: tokenizer).score(edit, model: edited, baseline: baseline)
        XCTAssertEqual(scores.reliability.map(\.exactMatch), [true])
        XCTAssertEqual(scores.generalization.map(\.tokenAccuracy), [0.5])
        XCTAssertEqual(scores.locality.map(\.exactMatch), [true])

        // A model that forgot the probe's answer loses locality.
        let drifted = TableModel(answers: [[0, 1, 2, 3, 4]: [5, 6]])
        XCTAssertEqual(try EditEvaluator(encoder: tokenizer).score(edit, model: drifted, baseline: baseline).locality.map(\.exactMatch), [false])
        XCTAssertEqual(try EditEvaluator(encoder: tokenizer).scoreProbes(edit.probes, model: drifted, baseline: baseline).map(\.tokenAccuracy), [0])
        // Unmeasured probes and probes without an answer are errors, not silent passes.
        XCTAssertThrowsError(try EditEvaluator(encoder: tokenizer).score(edit, model: edited, baseline: ProbeBaseline()))
        var empty = ProbeBaseline()
        XCTAssertThrowsError(try empty.measure([Probe(prompt: "The sky is")], base: base, encoder: tokenizer))
    }
}
