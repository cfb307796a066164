import Foundation
import XCTest
@testable import ElderEval

/// Reports of separate runs combine into one table and plot, read back in today's and the first schema,
/// and runs that measured different things are refused.
final class LifelongComparisonTests: XCTestCase {
    func score(_ x: Double, _ count: Int = 10) -> MetricScore { MetricScore(tokenAccuracy: x, exactMatch: x / 2, count: count) }

    func report(method: String, edits: Int = 20, editSet: String = "w.jsonl", digest: String? = "fnv1a64:1",
                model: String = "m.gguf", rel: Double = 0.9) throws -> LifelongReport {
        let curve = try LifelongCurve(points: [
            MetricsSnapshot(editsApplied: edits / 2, reliability: score(1), generalization: score(0.8), locality: score(1)),
            MetricsSnapshot(editsApplied: edits, reliability: score(rel), generalization: score(0.5), locality: score(0.75)),
        ], immediate: nil)
        var result = MethodResult(name: method, curve: curve, secondsPerEdit: 1.5, notes: "settings: ")
        result.totalEditSeconds = 31
        result.parameterCount = 1234
        result.peakResidentBytes = 900_000_000
        result.method = method
        result.settings = [:]
        result.configuration = ["lr": "0.001", "stop-loss": "0.1"]
        return LifelongReport(title: "Lifelong editing: \(method), T = \(edits)",
                              evaluationProtocol: EvaluationProtocol(editCount: edits, editSet: editSet, checkpoints: [edits / 2, edits],
                                                                     afterEachEdit: false, editSetDigest: digest),
                              environment: [("model", model), ("cores", "2"), ("OPENBLAS_NUM_THREADS", "1"), ("date", "2026-11-29")],
                              methods: [result])
    }

    func input(_ r: LifelongReport, _ source: String) throws -> LifelongComparison.Input {
        // Through the JSON text, as the command reads files.
        LifelongComparison.Input(source: source, report: try LifelongReport(json: r.json, source: source))
    }

    func testJSONRoundTripKeepsEveryNumber() throws {
        let r = try report(method: "elder")
        let back = try LifelongReport(json: r.json, source: "a.json")
        XCTAssertEqual(back.methods, r.methods)
        XCTAssertEqual(back.evaluationProtocol, r.evaluationProtocol)
        XCTAssertEqual(back.json, r.json)
        XCTAssertEqual(back.methods.first?.configuration, ["lr": "0.001", "stop-loss": "0.1"])
        XCTAssertTrue(r.markdown.contains("- elder: lr=0.001 stop-loss=0.1"), "the Markdown report states the configuration")
    }

    func testReadsTheFirstSchema() throws {
        // A report as `elder-bench lifelong` wrote it before totals, parameters, memory and the digest existed.
        let old = """
        {"title": "Lifelong editing: grace, T = 4",
         "protocol": {"editCount": 4, "editSet": "Samples/edits/wikidata-1000.jsonl", "checkpoints": [2, 4], "afterEachEdit": true,
                      "description": "…"},
         "environment": {"model": "/m.gguf", "cores": "2", "OPENBLAS_NUM_THREADS": "1", "date": "2026-11-28T10:00:00Z"},
         "methods": [{"name": "grace",
           "final": {"editsApplied": 4, "reliability": {"tokenAccuracy": 1, "exactMatch": 1, "count": 4},
                     "generalization": {"tokenAccuracy": 0.25, "exactMatch": 0, "count": 8},
                     "locality": {"tokenAccuracy": 1, "exactMatch": 1, "count": 4}},
           "afterEachEdit": {"editsApplied": 4, "reliability": {"tokenAccuracy": 1, "exactMatch": 1, "count": 4},
                     "generalization": {"tokenAccuracy": 0.5, "exactMatch": 0.25, "count": 8},
                     "locality": {"tokenAccuracy": 1, "exactMatch": 1, "count": 4}},
           "curve": [{"editsApplied": 2, "reliability": {"tokenAccuracy": 1, "exactMatch": 1, "count": 2},
                      "generalization": {"tokenAccuracy": 0, "exactMatch": 0, "count": 4},
                      "locality": {"tokenAccuracy": 1, "exactMatch": 1, "count": 2}},
                     {"editsApplied": 4, "reliability": {"tokenAccuracy": 1, "exactMatch": 1, "count": 4},
                      "generalization": {"tokenAccuracy": 0.25, "exactMatch": 0, "count": 8},
                      "locality": {"tokenAccuracy": 1, "exactMatch": 1, "count": 4}}],
           "secondsPerEdit": 0.5, "notes": "settings: ; median steps 7"}]}
        """
        let r = try LifelongReport(json: old, source: "old.json")
        XCTAssertEqual(r.evaluationProtocol.editCount, 4)
        XCTAssertNil(r.evaluationProtocol.editSetDigest)
        XCTAssertEqual(r.environment.map(\.0), ["model", "cores", "OPENBLAS_NUM_THREADS", "date"])
        let grace = try XCTUnwrap(r.methods.first)
        XCTAssertEqual(grace.curve.points.map(\.editsApplied), [2, 4])
        XCTAssertEqual(grace.curve.final?.generalization.tokenAccuracy, 0.25)
        XCTAssertEqual(grace.curve.immediate?.generalization.exactMatch, 0.25)
        XCTAssertEqual(grace.secondsPerEdit, 0.5)
        XCTAssertNil(grace.parameterCount)
        XCTAssertNil(grace.peakResidentBytes)
        XCTAssertTrue(r.markdown.contains("| grace | 4 | 100.0 / 100.0 | 25.0 / 0.0 | 100.0 / 100.0 | 0.50 | – | – | – |"), r.markdown)
        XCTAssertThrowsError(try LifelongReport(json: "{\"title\": 3}", source: "bad.json")) { error in
            XCTAssertTrue("\(error)".hasPrefix("bad.json: "), "\(error)")
        }
    }

    func testCombinesRunsIntoOneTableAndPlot() throws {
        let combined = try LifelongComparison.combine(
            [try input(try report(method: "elder", rel: 0.95), "reports/lifelong-elder-20.json"),
             try input(try report(method: "elder-paper", rel: 0.2), "reports/lifelong-elder-paper-20-routing=hard.json"),
             try input(try report(method: "grace", rel: 0.97), "reports/lifelong-grace-20.json")],
            labels: ["reports/lifelong-elder-paper-20-routing=hard.json": "elder-paper-hard"])
        XCTAssertEqual(combined.methods.map(\.name), ["elder", "elder-paper-hard", "grace"])
        XCTAssertEqual(combined.methods[1].method, "elder-paper")
        XCTAssertTrue(combined.isComparison)
        let md = combined.markdown
        XCTAssertTrue(md.contains("| elder | 20 | 95.0 / 47.5 | 50.0 / 25.0 | 75.0 / 37.5 | 1.50 | 31 | 1234 | 0.90 GB |"), md)
        XCTAssertTrue(md.contains("| elder-paper-hard | 20 | 20.0 / 10.0 |"), md)
        XCTAssertTrue(md.contains("| 10 | grace | 100.0 / 50.0 | 80.0 / 40.0 | 100.0 / 50.0 |"), md)
        XCTAssertTrue(md.contains("run: reports/lifelong-grace-20.json; OPENBLAS_NUM_THREADS 1; date 2026-11-29"), md)
        let svg = combined.svg()
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 9, "3 panels × 3 methods")
        XCTAssertEqual(svg.components(separatedBy: "stroke-dasharray=\"7 4\"").count - 1, 4, "the second method dashed: 3 lines + legend")
        for name in ["elder", "elder-paper-hard", "grace"] { XCTAssertTrue(svg.contains(">\(name)</text>"), name) }
        // The combined JSON reads back; a later glob over the folder recognizes and skips it.
        let back = try LifelongReport(json: combined.json, source: "c.json")
        XCTAssertEqual(back.methods.map(\.name), combined.methods.map(\.name))
        XCTAssertTrue(back.isComparison)
    }

    func testRefusesRunsOfDifferentProtocolsInOneLine() throws {
        let elder = try input(try report(method: "elder"), "a.json")
        let cases: [(LifelongComparison.Input, String)] = [
            (try input(try report(method: "grace", edits: 10), "b.json"), "different numbers of edits T (20 vs 10)"),
            (try input(try report(method: "grace", digest: "fnv1a64:2"), "b.json"), "different edit sets"),
            (try input(try report(method: "grace", editSet: "x.jsonl", digest: nil), "b.json"), "different edit sets (w.jsonl vs x.jsonl)"),
            (try input(try report(method: "grace", model: "other.gguf"), "b.json"), "different models"),
            (try input(try report(method: "elder"), "b.json"), "--label b.json=NAME"),
        ]
        for (other, phrase) in cases {
            XCTAssertThrowsError(try LifelongComparison.combine([elder, other])) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(phrase), text)
                XCTAssertFalse(text.contains("\n"), "one line: \(text)")
            }
        }
        XCTAssertThrowsError(try LifelongComparison.combine([]))
        XCTAssertThrowsError(try LifelongComparison.combine([elder], labels: ["zzz.json": "x"]))
        // The same file set on the same edits under another path name is fine when both carry the digest.
        XCTAssertNoThrow(try LifelongComparison.combine([elder, try input(try report(method: "grace", editSet: "./w.jsonl"), "b.json")]))
    }
}
