import Foundation
import XCTest
@testable import ElderEval
import ElderEditing
import ElderRecords

/// The two shapes of edits people make: no training paraphrases, and several facts about one subject.
final class SubjectGroupTests: XCTestCase {
    /// The committed qa_wikidata facts: enough subjects with several facts to build real groups.
    static let facts: [WikidataFact] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return (try? WikidataFacts.load(path: root.appendingPathComponent("Samples/data/qa_wikidata.dev.json").path)) ?? []
    }()

    func testNoParaphraseEditsKeepPromptTargetAndHeldoutOnly() throws {
        let builder = EditSetBuilder(facts: try WikidataFixture.facts())
        let full = try builder.build(.init(count: 12, seed: 4))
        let bare = try builder.build(.init(count: 12, seed: 4, trainingParaphrases: 0))
        XCTAssertEqual(bare.map(\.prompt), full.map(\.prompt))
        XCTAssertEqual(bare.map(\.target), full.map(\.target))
        XCTAssertEqual(bare.map(\.heldout), full.map(\.heldout), "held-out wordings do not depend on the training ones")
        XCTAssertTrue(bare.allSatisfy { $0.paraphrases.isEmpty })
        let one = try builder.build(.init(count: 12, seed: 4, trainingParaphrases: 1))
        XCTAssertEqual(one.map(\.paraphrases), full.map { Array($0.paraphrases.prefix(1)) })
    }

    func testSubjectGroupsHoldTwoToFiveFactsOfDistinctRelationsSpreadApart() throws {
        XCTAssertFalse(Self.facts.isEmpty, "Samples/data/qa_wikidata.dev.json is missing")
        let options = EditSetBuilder.Options(count: 300, seed: 7, factsPerSubject: 2...5)
        let edits = try EditSetBuilder(facts: Self.facts).build(options)
        XCTAssertEqual(edits.count, 300)
        var positions: [String: [Int]] = [:]
        for (i, edit) in edits.enumerated() { positions[try XCTUnwrap(edit.subject), default: []].append(i) }
        var sizes = Set<Int>()
        for (subject, at) in positions {
            sizes.insert(at.count)
            XCTAssertTrue((2...5).contains(at.count), "\(subject) has \(at.count) facts")
            let relations = at.map { edits[$0].relation }
            XCTAssertEqual(Set(relations).count, relations.count, "\(subject) repeats a relation")
            for (a, b) in zip(at, at.dropFirst()) {
                XCTAssertGreaterThanOrEqual(b - a, options.siblingGap, "\(subject)'s facts at \(a) and \(b) are too close")
            }
        }
        XCTAssertEqual(options.siblingGap, 7)
        XCTAssertTrue(sizes.count >= 3, "group sizes vary: \(sizes.sorted())")
        // Probes are about subjects no edit touches; held-out text is never a training text.
        let subjects = Set(positions.keys)
        for edit in edits {
            for probe in edit.probes {
                XCTAssertFalse(subjects.contains(WikidataRelationParser.parse(probe.prompt)?.subject ?? ""), probe.prompt)
            }
            let templates = try XCTUnwrap(RelationCatalog.templates(for: edit.relation ?? ""))
            let training = Set(templates.trainingPrompts(subject: edit.subject ?? ""))
            XCTAssertTrue(Set(edit.heldout).isDisjoint(with: training.union([edit.prompt])), edit.prompt)
        }
        // Deterministic by seed.
        XCTAssertEqual(EditFileWriter.text(try EditSetBuilder(facts: Self.facts).build(options)), EditFileWriter.text(edits))
    }

    func testSpreadKeepsTheGapWhenTheStreamAllowsIt() throws {
        // 4 groups of 3 in a stream of 12 with gap 4: only a few arrangements work (e.g. 0, 4, 8 / 1, 5, 9 / ...).
        let facts = try WikidataFixture.facts()
        let groups = [Array(facts[0..<3]), Array(facts[3..<6]), Array(facts[6..<9]), Array(facts[9..<12])]
        var rng = SeededGenerator(seed: 3)
        let order = EditSetBuilder(facts: facts).spread(groups, gap: 4, rng: &rng)
        XCTAssertEqual(order.count, 12)
        for group in groups {
            let at = group.map { fact in order.firstIndex { $0.prompt == fact.prompt }! }.sorted()
            for (a, b) in zip(at, at.dropFirst()) { XCTAssertGreaterThanOrEqual(b - a, 4) }
        }
    }

    func testAskingForMoreGroupedFactsThanExistSaysSo() throws {
        // The fixture's people have two facts each (citizenship, eye colour; four also a religion).
        XCTAssertThrowsError(try EditSetBuilder(facts: WikidataFixture.facts()).build(.init(count: 200, seed: 1, factsPerSubject: 2...3))) {
            XCTAssertTrue(String(describing: $0).contains("ask for fewer"), String(describing: $0))
        }
    }
}

/// Cross-talk: asking one fact of a subject gives another fact's answer.
final class CrossTalkTests: XCTestCase {
    typealias Toy = MetricsTests.ToyTokenizer
    typealias Table = MetricsTests.TableModel

    func testCrossTalkCountsPromptsThatGiveASiblingsTarget() throws {
        // Two facts about Acme: its CEO is Jane Doe, its Boss (a second relation) is Doe.
        let ceo = EditRecord(id: "ceo", prompt: "The CEO of Acme is", target: " Jane Doe", heldout: ["Acme CEO is"], subject: "Acme")
        let boss = EditRecord(id: "boss", prompt: "The Boss of Acme is", target: " Doe", heldout: ["Acme Boss is"], subject: "Acme")
        let other = EditRecord(id: "sky", prompt: "The sky is", target: " blue", subject: "sky")
        // The model: the CEO prompt gives the CEO (right); its held-out wording gives the Boss's answer (cross-talk);
        // the Boss prompt gives its own answer; the Boss's held-out wording gives "Jane" then "Doe" under teacher
        // forcing of " Jane Doe": the CEO's whole answer (cross-talk).
        let model = Table(answers: [[0, 1, 2, 3, 4]: [5, 6], [3, 1, 4]: [6, 6],
                                    [0, 7, 2, 3, 4]: [6, 6], [3, 7, 4]: [5, 6]])
        let evaluator = EditEvaluator(encoder: Toy())
        let all = [ceo, boss, other]
        let a = try evaluator.score(ceo, model: model, baseline: ProbeBaseline(), siblings: all)
        // Per prompt: the comparison with " Doe" = [6]: prompt predicts [5] (no), held-out predicts [6] (yes).
        XCTAssertEqual(a.crossTalk?.map(\.exactMatch), [false, true])
        XCTAssertEqual(a.crossTalk?.map(\.reference), [[6], [6]])
        let b = try evaluator.score(boss, model: model, baseline: ProbeBaseline(), siblings: all)
        // Against " Jane Doe" = [5, 6]: the prompt predicts [6, 6] (half), the held-out wording [5, 6] (whole).
        XCTAssertEqual(b.crossTalk?.map(\.exactMatch), [false, true])
        XCTAssertEqual(b.crossTalk?.map(\.tokenAccuracy), [0.5, 1])
        // No sibling: no cross-talk measured; a sibling with the same target is not a sibling for this.
        XCTAssertNil(try evaluator.score(other, model: model, baseline: ProbeBaseline(), siblings: all).crossTalk)
        XCTAssertNil(try evaluator.score(ceo, model: model, baseline: ProbeBaseline(), siblings: [ceo, other]).crossTalk)
        let twin = EditRecord(id: "twin", prompt: "The Boss of Acme is", target: " Jane Doe", subject: "Acme")
        XCTAssertNil(try evaluator.score(ceo, model: model, baseline: ProbeBaseline(), siblings: [ceo, twin]).crossTalk)

        // Pooled: 2 of the 4 prompts of edits with siblings give a sibling's whole answer.
        let snapshot = MetricsSnapshot(editsApplied: 3, scores: [a, b, try evaluator.score(other, model: model, baseline: ProbeBaseline(), siblings: all)])
        XCTAssertEqual(snapshot.crossTalk?.exactMatch, 0.5)
        XCTAssertEqual(snapshot.crossTalk?.count, 4)
        XCTAssertEqual(snapshot.crossTalk?.tokenAccuracy ?? 0, (0 + 1 + 0.5 + 1) / 4, accuracy: 1e-12)
        XCTAssertNil(MetricsSnapshot(editsApplied: 1, scores: [try evaluator.score(other, model: model, baseline: ProbeBaseline())]).crossTalk)
    }

    func testReportWritesAndReadsCrossTalk() throws {
        let one = try TokenComparison(predicted: [1], reference: [1])
        let miss = try TokenComparison(predicted: [0], reference: [1])
        var curve = LifelongCurve()
        try curve.record(editsApplied: 2, scores: [EditScores(editID: "a", reliability: [one], generalization: [one],
                                                              locality: [one], crossTalk: [miss, one])])
        let report = LifelongReport(title: "t", evaluationProtocol: EvaluationProtocol(editCount: 2, editSet: "e.jsonl", checkpoints: [2],
                                                                                       afterEachEdit: false, trainingParaphrases: 0),
                                    environment: [], methods: [MethodResult(name: "elder", curve: curve, secondsPerEdit: 1)])
        XCTAssertTrue(report.markdown.contains("Cross-talk tok / EM"), report.markdown)
        XCTAssertTrue(report.markdown.contains("| 50.0 / 50.0 |"), report.markdown)
        XCTAssertTrue(report.markdown.contains("each edit's prompt alone"), report.markdown)
        let back = try LifelongReport(json: report.json, source: "r.json")
        XCTAssertEqual(back.methods[0].curve.final?.crossTalk?.exactMatch, 0.5)
        XCTAssertEqual(back.evaluationProtocol.trainingParaphrases, 0)
    }
}

/// Fluency of an edited answer, by hand.
final class FluencyTests: XCTestCase {
    func testFluencyCheckByHand() {
        // Target [5, 6]; base continuation of prompt + target: [1, 2, 3, 4, 1, 2, 3, 4].
        let base = [1, 2, 3, 4, 1, 2, 3, 4]
        let good = FluencyCheck(generated: [5, 6] + base, target: [5, 6], base: base)
        XCTAssertTrue(good.answered && good.continuationAgrees && !good.repeatsTarget)
        // Bigrams of [5,6,1,2,3,4,1,2,3,4]: 9, of which (1,2), (2,3), (3,4) come again: 3/9.
        XCTAssertEqual(good.repeatedBigramRate, 3.0 / 9.0, accuracy: 1e-12)
        let stutter = FluencyCheck(generated: [5, 6, 5, 6, 5, 6], target: [5, 6], base: base)
        XCTAssertTrue(stutter.answered && !stutter.continuationAgrees && stutter.repeatsTarget)
        XCTAssertEqual(stutter.repeatedBigramRate, 3.0 / 5.0, accuracy: 1e-12)   // (5,6) twice more, (6,5) once more
        // A base continuation that names the target again itself is no stutter of the edit.
        XCTAssertFalse(FluencyCheck(generated: [5, 6, 1, 5, 6], target: [5, 6], base: [1, 5, 6]).repeatsTarget)
        let wrong = FluencyCheck(generated: [5, 7, 1], target: [5, 6], base: base)
        XCTAssertFalse(wrong.answered || wrong.continuationAgrees || wrong.repeatsTarget)
        let score = FluencyScore([good, stutter, wrong])
        XCTAssertEqual(score.prompts, 3)
        XCTAssertEqual(score.answered, 2)
        XCTAssertEqual(score.continuationAgreement, 0.5)
        XCTAssertEqual(score.repeatedTarget, 0.5)
    }
}
