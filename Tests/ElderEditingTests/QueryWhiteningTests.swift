import ElderEditing
import ElderStable
import Foundation
import XCTest

final class QueryWhiteningTests: XCTestCase {
    /// Groups of 4-wide vectors whose within-group spread lies mostly along dimension 0 ("wording").
    private func groups() -> [[[Float]]] {
        var rng = SplitMix64(seed: 11)
        func u() -> Float { rng.nextUnitFloat() * 2 - 1 }
        return (0..<20).map { _ in
            let subject = (0..<4).map { _ in u() }
            return (0..<5).map { _ in [subject[0] + 3 * u(), subject[1] + 0.1 * u(), subject[2] + 0.1 * u(), subject[3] + 0.2 * u()] }
        }
    }

    /// The within-group scatter plus ridge, computed independently in Float64 (full matrix, then symmetric).
    private func regularizedScatter(_ groups: [[[Float]]], gamma: Double) -> [[Double]] {
        let d = 4
        var s = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        var n = 0.0
        for g in groups {
            let mean = (0..<d).map { j in g.map { Double($0[j]) }.reduce(0, +) / Double(g.count) }
            for q in g {
                for i in 0..<d { for j in 0..<d { s[i][j] += (Double(q[i]) - mean[i]) * (Double(q[j]) - mean[j]) } }
                n += 1
            }
        }
        let ridge = gamma * (0..<d).map { s[$0][$0] / n }.reduce(0, +) / Double(d)
        return (0..<d).map { i in (0..<d).map { j in s[i][j] / n + (i == j ? ridge : 0) } }
    }

    func testWhiteningMapsTheRegularizedScatterToTheIdentity() throws {
        let g = groups()
        let w = try XCTUnwrap(QueryWhitening.fit(groups: g, strength: 0.3))
        let a = regularizedScatter(g, gamma: 0.3)
        // W·A·Wᵀ must be the identity, and W lower triangular.
        var worst = 0.0
        for i in 0..<4 {
            for j in 0..<4 {
                var x = 0.0
                for k in 0..<4 { for l in 0..<4 { x += Double(w[i * 4 + k]) * a[k][l] * Double(w[j * 4 + l]) } }
                worst = max(worst, abs(x - (i == j ? 1 : 0)))
                if j > i { XCTAssertEqual(w[i * 4 + j], 0) }
            }
        }
        XCTAssertLessThan(worst, 1e-4, "W·A·Wᵀ differs from I by \(worst)")
        XCTAssertEqual(QueryWhitening.fit(groups: g, strength: 0.3), w, "the same groups give the same bits")
    }

    func testWhiteningDividesDownTheWordingDirection() throws {
        let w = try XCTUnwrap(QueryWhitening.fit(groups: groups(), strength: 0.3))
        let along = QueryWhitening.apply(w, to: [1, 0, 0, 0]), across = QueryWhitening.apply(w, to: [0, 1, 0, 0])
        func norm(_ v: [Float]) -> Float { v.map { $0 * $0 }.reduce(0, +).squareRoot() }
        XCTAssertGreaterThan(norm(across), 3 * norm(along), "a move along the wording direction must count for less")
        XCTAssertNil(QueryWhitening.fit(groups: [], strength: 0.3))
    }

    func testExactMatchFiresWhateverTheMargins() {
        var index = KeyIndex(dimension: 2)
        index.insert([1, 0], owner: "zambia")
        index.insert([0.9, 0.43589], owner: "namibia")      // cosine 0.9 to "zambia"
        let m = index.match([1, 0])
        XCTAssertEqual(m.owner, "zambia")
        XCTAssertFalse(m.fires(margin: 0.2, referenceMargin: 0.1, minimum: 0.6), "margin 0.1 < 0.2")
        XCTAssertTrue(m.fires(margin: 0.2, referenceMargin: 0.1, minimum: 0.6, exact: 0.97))
        let near = index.match([0.97, 0.2431])                 // 0.97 to zambia, 0.98 to namibia
        XCTAssertEqual(near.owner, "namibia")
        XCTAssertFalse(near.fires(margin: 0.2, referenceMargin: 0.1, minimum: 0.6, exact: 0.99))
    }

    func testWhiteningAndExactMatchAreSettable() throws {
        let c = try EditorConfiguration.elderDefault(blockCount: 30)
            .applying(["query-whitening": "off", "exact-similarity": "0.99"])
        XCTAssertNil(c.query.whitening)
        XCTAssertEqual(c.exactMatch, 0.99)
        let d = try c.applying(["query-whitening": "1.5", "exact-similarity": "off"])
        XCTAssertEqual(d.query.whitening, 1.5)
        XCTAssertNil(d.exactMatch)
        XCTAssertThrowsError(try c.applying(["query-whitening": "strong"]))
        // A configuration saved before these fields existed still decodes (both off).
        var json = String(decoding: try JSONEncoder().encode(EditorConfiguration.elderDefault(blockCount: 30)), as: UTF8.self)
        json = json.replacingOccurrences(of: ",\"whitening\":0.3", with: "").replacingOccurrences(of: ",\"exactMatch\":0.97", with: "")
            .replacingOccurrences(of: "\"whitening\":0.3,", with: "").replacingOccurrences(of: "\"exactMatch\":0.97,", with: "")
        XCTAssertFalse(json.contains("whitening") || json.contains("exactMatch"))
        let old = try JSONDecoder().decode(EditorConfiguration.self, from: Data(json.utf8))
        XCTAssertNil(old.query.whitening)
        XCTAssertNil(old.exactMatch)
    }
}
