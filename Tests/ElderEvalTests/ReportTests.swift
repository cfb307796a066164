import Foundation
import XCTest
@testable import ElderEval

final class ReportTests: XCTestCase {
    func snapshot(_ edits: Int, _ rel: Double, _ gen: Double, _ loc: Double) -> MetricsSnapshot {
        MetricsSnapshot(editsApplied: edits,
                        reliability: MetricScore(tokenAccuracy: rel, exactMatch: rel, count: 1),
                        generalization: MetricScore(tokenAccuracy: gen, exactMatch: gen, count: 1),
                        locality: MetricScore(tokenAccuracy: loc, exactMatch: loc, count: 1))
    }

    func report() throws -> LifelongReport {
        var elder = LifelongCurve()
        try elder.record(editsApplied: 10, scores: [])
        let one = try TokenComparison(predicted: [1], reference: [1])
        let miss = try TokenComparison(predicted: [2], reference: [1])
        try elder.record(editsApplied: 20, scores: [EditScores(editID: "a", reliability: [one, one, one, miss],
                                                               generalization: [one, miss], locality: [one])])
        elder.recordImmediate(EditScores(editID: "a", reliability: [one], generalization: [one], locality: [one]))
        var grace = LifelongCurve()
        try grace.record(editsApplied: 20, scores: [EditScores(editID: "a", reliability: [one], generalization: [miss], locality: [one])])
        return LifelongReport(
            title: "Lifelong <test>",
            evaluationProtocol: EvaluationProtocol(editCount: 20, editSet: "Samples/edits/wikidata-50.jsonl",
                                                   checkpoints: [10, 20], afterEachEdit: true),
            environment: [("model", "SmolLM2-135M"), ("cores", "2"), ("OPENBLAS_NUM_THREADS", "1")],
            methods: [MethodResult(name: "elder", curve: elder, secondsPerEdit: 1.25),
                      MethodResult(name: "grace", curve: grace)])
    }

    func testProtocolDescriptionStatesTheProtocol() {
        let text = EvaluationProtocol(editCount: 1000, editSet: "w.jsonl", checkpoints: [100, 1000], afterEachEdit: true).description
        for phrase in ["T = 1000", "w.jsonl", "teacher-forced", "held-out", "base model's own argmax", "after 100, 1000 edits", "right after it was made"] {
            XCTAssertTrue(text.contains(phrase), phrase)
        }
        XCTAssertFalse(EvaluationProtocol(editCount: 5, editSet: "x", checkpoints: [], afterEachEdit: false).description.contains("After each edit"))
    }

    func testMarkdownHasTheNumbers() throws {
        let markdown = try report().markdown
        XCTAssertTrue(markdown.hasPrefix("# Lifelong <test>\n"))
        XCTAssertTrue(markdown.contains("model: SmolLM2-135M · cores: 2 · OPENBLAS_NUM_THREADS: 1"))
        // elder final: reliability 3/4 = 75.0, generalization 1/2 = 50.0, locality 100.0, 1.25 s/edit.
        XCTAssertTrue(markdown.contains("| elder | 20 | 75.0 / 75.0 | 50.0 / 50.0 | 100.0 / 100.0 | 1.25 |"), markdown)
        XCTAssertTrue(markdown.contains("| grace | 20 | 100.0 / 100.0 | 0.0 / 0.0 | 100.0 / 100.0 | – |"), markdown)
        XCTAssertTrue(markdown.contains("| elder | 1 | 100.0 / 100.0 |"), markdown)
        XCTAssertTrue(markdown.contains("| 10 | elder | – | – | – |"), markdown)
    }

    func testJSONParsesAndKeepsRates() throws {
        let json = try report().json
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(object["title"] as? String, "Lifelong <test>")
        let proto = try XCTUnwrap(object["protocol"] as? [String: Any])
        XCTAssertEqual(proto["editCount"] as? Int, 20)
        XCTAssertEqual(proto["checkpoints"] as? [Int], [10, 20])
        let methods = try XCTUnwrap(object["methods"] as? [[String: Any]])
        XCTAssertEqual(methods.map { $0["name"] as? String }, ["elder", "grace"])
        let final = try XCTUnwrap(methods[0]["final"] as? [String: Any])
        let reliability = try XCTUnwrap(final["reliability"] as? [String: Any])
        XCTAssertEqual(reliability["exactMatch"] as? Double, 0.75)
        XCTAssertEqual(reliability["count"] as? Int, 4)
        XCTAssertEqual(methods[0]["secondsPerEdit"] as? Double, 1.25)
        XCTAssertTrue(methods[1]["secondsPerEdit"] is NSNull)
        XCTAssertEqual(try report().json, json, "rendering is deterministic")
    }

    func testSVGPlotHasPanelsLinesAxesAndLegend() throws {
        let plot = CurvePlot(series: [.init(name: "elder", points: [snapshot(0, 0, 0, 1), snapshot(50, 0.9, 0.8, 1), snapshot(100, 0.8, 0.5, 0.9)]),
                                      .init(name: "a&b", points: [snapshot(100, 0.25, 0, 1)])],
                             kind: .exactMatch, title: "Run")
        let svg = plot.svg
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertTrue(svg.hasSuffix("</svg>\n"))
        XCTAssertEqual(svg.components(separatedBy: "<g class=\"panel\"").count - 1, 3)
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 6)
        for name in ["Reliability", "Generalization", "Locality", "number of edits", "elder", "a&amp;b"] {
            XCTAssertTrue(svg.contains(name), name)
        }
        XCTAssertFalse(svg.contains("a&b"))
        // Hand-computed: Reliability panel x0 = 56, width 300, top 52, height 220, 100 edits on the axis.
        // (0, 0%) -> (56, 272); (50, 90%) -> (206, 74); (100, 80%) -> (356, 96).
        XCTAssertTrue(svg.contains("points=\"56,272 206,74 356,96\""), svg)
        // x ticks 0, 20, ..., 100 and y ticks 0..100 by 25.
        XCTAssertEqual(CurvePlot.ticks(upTo: 100), [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(CurvePlot.ticks(upTo: 1000), [0, 200, 400, 600, 800, 1000])
        XCTAssertEqual(CurvePlot.ticks(upTo: 7), [0, 2, 4, 6])
        XCTAssertEqual(CurvePlot.ticks(upTo: 30), [0, 10, 20, 30])
        XCTAssertEqual(plot.svg, svg)
        // The plot is well-formed XML.
        XCTAssertNoThrow(try XMLLikeCheck.balanced(svg))
    }

    func testReportSVGSkipsUnmeasuredPoints() throws {
        let svg = try report().svg()
        // elder's point at 10 edits has no measurements: its lines hold only the 20-edit point.
        XCTAssertTrue(svg.contains("data-method=\"elder\""))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 6)
    }
}

/// A minimal well-formedness check: every opened element is closed in order.
enum XMLLikeCheck {
    struct Unbalanced: Error {}
    static func balanced(_ text: String) throws {
        var stack: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { throw Unbalanced() }
            let tag = rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: close)...]
            if tag.hasPrefix("/") {
                guard stack.popLast() == String(tag.dropFirst()) else { throw Unbalanced() }
            } else if !tag.hasSuffix("/") {
                stack.append(String(tag.split(separator: " ").first ?? ""))
            }
        }
        guard stack.isEmpty else { throw Unbalanced() }
    }
}

final class ReportFileTests: XCTestCase {
    func testWritesMarkdownJSONAndSVG() throws {
        var curve = LifelongCurve()
        let one = try TokenComparison(predicted: [1, 2], reference: [1, 2])
        for t in 1...4 {
            try curve.record(editsApplied: t, scores: (0..<t).map { _ in EditScores(editID: "e", reliability: [one], generalization: [one], locality: [one]) })
        }
        let report = LifelongReport(title: "t", evaluationProtocol: EvaluationProtocol(editCount: 4, editSet: "x.jsonl", checkpoints: [1, 2, 3, 4], afterEachEdit: false),
                                    environment: LifelongReport.standardEnvironment(model: "toy"), methods: [MethodResult(name: "m", curve: curve)])
        XCTAssertEqual(report.environment.map(\.0), ["model", "cores", "OPENBLAS_NUM_THREADS", "date"])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("elder-report-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let paths = try report.write(to: folder, name: "lifelong")
        XCTAssertEqual(paths.map { URL(fileURLWithPath: $0).lastPathComponent }, ["lifelong.md", "lifelong.json", "lifelong.svg", "lifelong-token-accuracy.svg"])
        XCTAssertEqual(try String(contentsOfFile: paths[0], encoding: .utf8), report.markdown)
        XCTAssertEqual(try String(contentsOfFile: paths[2], encoding: .utf8), report.svg())
        XCTAssertEqual(try String(contentsOfFile: paths[3], encoding: .utf8), report.svg(kind: .tokenAccuracy))
    }
}
