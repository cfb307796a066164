import ElderEditing
import ElderTensor
import XCTest

final class MixtureOfLoRATests: XCTestCase {
    // T 5 rows: a 2-row sequence using experts {0, 2}, then a 3-row sequence using {1, 2}; F 7, D 4, r 3.
    let t = 5, f = 7, d = 4, r = 3
    lazy var v = randomTensor([t, f], seed: 1)
    lazy var a: [Int: Tensor] = [0: randomTensor([r, f], seed: 2), 1: randomTensor([r, f], seed: 3), 2: randomTensor([r, f], seed: 4)]
    lazy var b: [Int: Tensor] = [0: randomTensor([d, r], seed: 5), 1: randomTensor([d, r], seed: 6), 2: randomTensor([d, r], seed: 7)]
    lazy var mix = MixtureRows(rowCount: t, spans: [(0..<2, [0, 2], [0.7, 0.2]), (2..<5, [1, 2], [0.5, 0.4])], scaling: 1.5)
    lazy var upstream = randomTensor([t, d], seed: 8)

    func output(v: Tensor, a: [Int: Tensor], b: [Int: Tensor], mix: MixtureRows) -> Tensor {
        var out = Tensor(zeros: [t, d])
        MixtureOfLoRA.forward(into: &out, v: v, a: a, b: b, mix: mix)
        return out
    }

    func testForwardMatchesNaiveDefinition() {
        let out = output(v: v, a: a, b: b, mix: mix)
        // out[row] = Σ_j c_j[row] · B_j (A_j v[row])
        for row in 0..<t {
            for o in 0..<d {
                var expected: Double = 0
                for (j, c) in mix.coefficients {
                    for k in 0..<r {
                        var h: Double = 0
                        for i in 0..<f { h += Double(a[j]!.scalars[k * f + i]) * Double(v.scalars[row * f + i]) }
                        expected += Double(c[row]) * Double(b[j]!.scalars[o * r + k]) * h
                    }
                }
                XCTAssertEqual(Double(out.scalars[row * d + o]), expected, accuracy: 1e-5)
            }
        }
    }

    func testGradientsMatchFiniteDifferences() {
        var dv: Tensor? = Tensor(zeros: [t, f])
        var da: [Int: Tensor] = [:], db: [Int: Tensor] = [:], dc: [Int: [Float]] = [:]
        MixtureOfLoRA.backward(dv: &dv, da: &da, db: &db, dc: &dc, wantA: true, wantB: true, wantC: true,
                               dout: upstream, v: v, a: a, b: b, mix: mix)
        // The output is linear in each of v, A_j, B_j and c_j separately, so a large step is exact.
        let h: Float = 0.25
        let numericV = (0..<v.count).map { i in centralDifference(v, i, h: h) { weightedSum(self.output(v: $0, a: self.a, b: self.b, mix: self.mix), self.upstream) } }
        assertGradientsClose(dv!.scalars.map(Double.init), numericV, tolerance: 1e-4, "dv")
        for j in [0, 1, 2] {
            let numericA = (0..<a[j]!.count).map { i in centralDifference(a[j]!, i, h: h) { x in
                var aa = self.a; aa[j] = x
                return weightedSum(self.output(v: self.v, a: aa, b: self.b, mix: self.mix), self.upstream) } }
            assertGradientsClose(da[j]!.scalars.map(Double.init), numericA, tolerance: 1e-4, "dA_\(j)")
            let numericB = (0..<b[j]!.count).map { i in centralDifference(b[j]!, i, h: h) { x in
                var bb = self.b; bb[j] = x
                return weightedSum(self.output(v: self.v, a: self.a, b: bb, mix: self.mix), self.upstream) } }
            assertGradientsClose(db[j]!.scalars.map(Double.init), numericB, tolerance: 1e-4, "dB_\(j)")
            let c = Tensor(shape: [t], scalars: mix.coefficients[j]!)
            let numericC = (0..<t).map { i in centralDifference(c, i, h: h) { x in
                var m = self.mix; m.coefficients[j] = x.scalars
                return weightedSum(self.output(v: self.v, a: self.a, b: self.b, mix: m), self.upstream) } }
            assertGradientsClose(dc[j]!.map(Double.init), numericC, tolerance: 1e-4, "dc_\(j)")
        }
    }

    func testUnusedExpertGetsNoGradientAndRowsOutsideSpansAreUntouched() {
        let partial = MixtureRows(rowCount: t, spans: [(3..<5, [1], [1])], scaling: 1)
        let out = output(v: v, a: a, b: b, mix: partial)
        XCTAssertTrue(out.scalars[0..<(3 * d)].allSatisfy { $0 == 0 }, "rows before the span must get no adapter output")
        var dv: Tensor? = nil
        var da: [Int: Tensor] = [:], db: [Int: Tensor] = [:], dc: [Int: [Float]] = [:]
        MixtureOfLoRA.backward(dv: &dv, da: &da, db: &db, dc: &dc, wantA: true, wantB: true, wantC: false,
                               dout: upstream, v: v, a: a, b: b, mix: partial)
        XCTAssertEqual(Set(da.keys), [1])
        XCTAssertEqual(Set(db.keys), [1])
        XCTAssertNil(dv)
    }
}
