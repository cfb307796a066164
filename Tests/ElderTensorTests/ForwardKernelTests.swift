import Foundation
import XCTest
@testable import ElderTensor

/// Forward kernels against naive Float64 definitions.
final class ForwardKernelTests: XCTestCase {

    func testMatmulAllTransposeCombinationsMatchNaive() {
        var rng = SeededRandom(seed: 1)
        let (m, k, n) = (7, 13, 5)
        for ta in [false, true] { for tb in [false, true] {
            let a = rng.tensor(ta ? [k, m] : [m, k]), b = rng.tensor(tb ? [n, k] : [k, n])
            let c = matmul(a, b, transposeA: ta, transposeB: tb)
            XCTAssertEqual(c.shape, [m, n])
            let ref = Ref.matmul(a.doubles, b.doubles, m: m, k: k, n: n, ta: ta, tb: tb)
            let err = worstError(c.scalars, ref, rtol: 1e-5)
            XCTAssertLessThan(err, 1e-5, "ta=\(ta) tb=\(tb)")
            XCTAssertLessThan(maxAbsDifference(c, matmulNaive(a, b, transposeA: ta, transposeB: tb)), 1e-5)
        } }
    }

    func testMatrixVectorShapesAllTransposeCombinations() {
        // One output row (decode) or column goes through sgemv; check every layout, alpha/beta, and that
        // beta = 0 overwrites a NaN-filled output.
        var rng = SeededRandom(seed: 21)
        for (m, k, n) in [(1, 9, 6), (6, 9, 1), (1, 9, 1), (1, 1, 5), (3, 40, 7), (4, 9, 6), (5, 9, 6)] {
            for ta in [false, true] { for tb in [false, true] {
                let a = rng.tensor(ta ? [k, m] : [m, k]), b = rng.tensor(tb ? [n, k] : [k, n])
                let ref = Ref.matmul(a.doubles, b.doubles, m: m, k: k, n: n, ta: ta, tb: tb)
                var c = Tensor(repeating: .nan, shape: [m, n])
                matmul(into: &c, a, b, transposeA: ta, transposeB: tb)
                XCTAssertLessThan(worstError(c.scalars, ref, rtol: 1e-5), 1e-5, "\(m)x\(k)x\(n) ta=\(ta) tb=\(tb)")
                var c2 = rng.tensor([m, n])
                let c0 = c2.doubles
                matmul(into: &c2, a, b, transposeA: ta, transposeB: tb, alpha: 2, beta: -1)
                let ref2 = (0..<(m * n)).map { 2 * ref[$0] - c0[$0] }
                XCTAssertLessThan(worstError(c2.scalars, ref2, rtol: 1e-5), 1e-5, "alpha/beta \(m)x\(k)x\(n) ta=\(ta) tb=\(tb)")
            } }
        }
        // K = 0: the product is empty, c = beta * c.
        var c = Tensor(repeating: 3, shape: [2, 2])
        matmul(into: &c, Tensor(zeros: [2, 0]), Tensor(zeros: [0, 2]), beta: 0.5)
        XCTAssertEqual(c.scalars, [1.5, 1.5, 1.5, 1.5])
    }

    func testMatrixVectorLoopsSplitOverThreads() {
        // Large enough to be split over two threads; every layout against the reference.
        let previous = BLAS.threadCount
        BLAS.threadCount = 2
        defer { BLAS.threadCount = previous }
        XCTAssertEqual(BLAS.threadCount, 2)
        var rng = SeededRandom(seed: 23)
        for (m, k, n) in [(1, 700, 400), (3, 700, 400), (400, 700, 1), (1, 400, 700)] {
            for ta in [false, true] { for tb in [false, true] {
                let a = rng.tensor(ta ? [k, m] : [m, k]), b = rng.tensor(tb ? [n, k] : [k, n])
                var c = rng.tensor([m, n])
                let c0 = c.doubles
                matmul(into: &c, a, b, transposeA: ta, transposeB: tb, alpha: 1, beta: 0.5)
                let ab = Ref.matmul(a.doubles, b.doubles, m: m, k: k, n: n, ta: ta, tb: tb)
                let ref = (0..<(m * n)).map { ab[$0] + 0.5 * c0[$0] }
                XCTAssertLessThan(worstError(c.scalars, ref, rtol: 1e-5), 2e-5, "\(m)x\(k)x\(n) ta=\(ta) tb=\(tb)")
            } }
        }
    }

    func testMatmulIntoAppliesAlphaAndBeta() {
        var rng = SeededRandom(seed: 2)
        let a = rng.tensor([4, 6]), b = rng.tensor([3, 6])
        var c = rng.tensor([4, 3])
        let c0 = c
        matmul(into: &c, a, b, transposeB: true, alpha: 0.5, beta: 2)
        let ab = Ref.matmul(a.doubles, b.doubles, m: 4, k: 6, n: 3, ta: false, tb: true)
        let ref = (0..<12).map { 0.5 * ab[$0] + 2 * Double(c0.scalars[$0]) }
        XCTAssertLessThan(worstError(c.scalars, ref, rtol: 1e-5), 1e-5)
    }

    func testEmbeddingAddMul() {
        var rng = SeededRandom(seed: 3)
        let table = rng.tensor([10, 4])
        let e = embedding(table, ids: [3, 0, 3, 9])
        XCTAssertEqual(e.shape, [4, 4])
        XCTAssertEqual(e.row(0), table.row(3)); XCTAssertEqual(e.row(3), table.row(9)); XCTAssertEqual(e.row(1), table.row(0))
        let a = rng.tensor([3, 5]), b = rng.tensor([3, 5])
        XCTAssertEqual(add(a, b).scalars, zip(a.scalars, b.scalars).map { $0 + $1 })
        XCTAssertEqual(mul(a, b).scalars, zip(a.scalars, b.scalars).map { $0 * $1 })
    }

    func testSiluAndSwigluMatchReference() {
        var rng = SeededRandom(seed: 4)
        let g = rng.tensor([3, 37], scale: 12), u = rng.tensor([3, 37], scale: 3)   // odd width covers tails
        XCTAssertLessThan(worstError(silu(g).scalars, Ref.silu(g.doubles), rtol: 1e-6), 1e-6)
        XCTAssertLessThan(worstError(swiglu(gate: g, up: u).scalars, Ref.swiglu(g.doubles, u.doubles), rtol: 1e-6), 1e-6)
        // Extreme inputs stay finite: silu(-100) = -0, silu(100) = 100.
        let ext = silu(Tensor(shape: [2], scalars: [-100, 100])).scalars
        XCTAssertEqual(ext[0], 0, accuracy: 1e-30); XCTAssertEqual(ext[1], 100, accuracy: 1e-4)
    }

    func testGegluMatchesTanhDefinition() {
        var rng = SeededRandom(seed: 5)
        let g = rng.tensor([3, 37], scale: 6), u = rng.tensor([3, 37], scale: 3)
        XCTAssertLessThan(worstError(geglu(gate: g, up: u).scalars, Ref.geglu(g.doubles, u.doubles), rtol: 1e-5), 1e-6)
        let ext = geglu(gate: Tensor(shape: [2], scalars: [-100, 100]), up: Tensor(shape: [2], scalars: [1, 1])).scalars
        XCTAssertEqual(ext[0], 0, accuracy: 1e-30); XCTAssertEqual(ext[1], 100, accuracy: 1e-4)
    }

    func testRmsNormMatchesReference() {
        var rng = SeededRandom(seed: 5)
        let x = rng.tensor([4, 19], scale: 3), w = rng.tensor([19])
        let y = rmsNorm(x, weight: w, eps: 1e-5)
        XCTAssertLessThan(worstError(y.scalars, Ref.rmsNorm(x.doubles, w.doubles, d: 19, eps: 1e-5), rtol: 1e-5), 1e-6)
    }

    func testRopeBothStylesMatchDefinitions() {
        var rng = SeededRandom(seed: 6)
        let (heads, hd) = (3, 8)
        let x = rng.tensor([4, heads * hd])
        let positions = [0, 1, 7, 300]
        for style in [RopeStyle.adjacentPairs, .halfSplit] {
            let y = rope(x, heads: heads, headDim: hd, positions: positions, base: 10_000, style: style)
            let ref = Ref.rope(x.doubles, heads: heads, hd: hd, positions: positions, base: 10_000, style: style)
            XCTAssertLessThan(worstError(y.scalars, ref, rtol: 0), 1e-4, "\(style)")
        }
        // Position 0 is the identity.
        let y0 = rope(x, heads: heads, headDim: hd, positions: [0, 0, 0, 0], base: 10_000, style: .adjacentPairs)
        XCTAssertEqual(y0, x)
        // The two layouts agree under the interleave permutation (what a GGUF loader relies on):
        // halfSplit(P x) = P adjacentPairs(x) with P sending element 2i -> i and 2i+1 -> i + hd/2.
        func permute(_ t: Tensor) -> Tensor {
            var out = t
            for r in 0..<t.rowCount { for h in 0..<heads { for i in 0..<(hd / 2) {
                let base = r * heads * hd + h * hd
                out.scalars[base + i] = t.scalars[base + 2 * i]
                out.scalars[base + i + hd / 2] = t.scalars[base + 2 * i + 1]
            } } }
            return out
        }
        let adj = rope(x, heads: heads, headDim: hd, positions: positions, base: 10_000, style: .adjacentPairs)
        let half = rope(permute(x), heads: heads, headDim: hd, positions: positions, base: 10_000, style: .halfSplit)
        XCTAssertLessThan(maxAbsDifference(half, permute(adj)), 1e-6)
    }

    func testSoftmaxLogSoftmaxCrossEntropy() {
        var rng = SeededRandom(seed: 7)
        let x = rng.tensor([3, 29], scale: 20)
        XCTAssertLessThan(worstError(softmax(x).scalars, Ref.softmax(x.doubles, n: 29), rtol: 1e-5), 1e-7)
        XCTAssertLessThan(worstError(logSoftmax(x).scalars, Ref.logSoftmax(x.doubles, n: 29), rtol: 1e-6), 1e-5)
        let targets: [(position: Int, token: Int)] = [(0, 3), (2, 28), (2, 0)]
        let ce = crossEntropy(x, targets: targets)
        XCTAssertEqual(Double(ce), Ref.crossEntropy(x.doubles, v: 29, targets: targets), accuracy: 1e-4)
    }

    func testAttentionGroupedQueryMatchesReference() {
        var rng = SeededRandom(seed: 8)
        let (heads, kvHeads, hd, t) = (4, 2, 8, 5)
        for offset in [0, 3] {
            let s = offset + t + 2   // extra cached rows past the last query must be ignored
            let q = rng.tensor([t, heads * hd]), k = rng.tensor([s, kvHeads * hd]), v = rng.tensor([s, kvHeads * hd])
            let out = attention(q: q, k: k, v: v, heads: heads, kvHeads: kvHeads, headDim: hd, queryOffset: offset)
            let ref = Ref.attention(q: q.doubles, k: k.doubles, v: v.doubles, t: t, heads: heads, kvHeads: kvHeads,
                                    hd: hd, offset: offset)
            XCTAssertLessThan(worstError(out.scalars, ref, rtol: 1e-5), 1e-5, "offset \(offset)")
        }
    }

    func testAttentionDecodeRowByRowMatchesPrefill() {
        var rng = SeededRandom(seed: 9)
        let (heads, kvHeads, hd, t) = (9, 3, 16, 6)
        let q = rng.tensor([t, heads * hd]), k = rng.tensor([t, kvHeads * hd]), v = rng.tensor([t, kvHeads * hd])
        let full = attention(q: q, k: k, v: v, heads: heads, kvHeads: kvHeads, headDim: hd, queryOffset: 0)
        for i in 0..<t {
            let qi = Tensor(shape: [1, heads * hd], scalars: q.row(i))
            let one = attention(q: qi, k: k, v: v, heads: heads, kvHeads: kvHeads, headDim: hd, queryOffset: i)
            XCTAssertLessThan(maxAbsDifference(one, Tensor(shape: [1, heads * hd], scalars: full.row(i))), 1e-5)
        }
    }

    func testPreallocatedKVCacheGivesTheSameAttention() {
        // A cache tensor with spare rows, filled step by step with replaceRows, gives the prefill result.
        var rng = SeededRandom(seed: 22)
        let (heads, kvHeads, hd, t) = (4, 2, 8, 5)
        let q = rng.tensor([t, heads * hd]), k = rng.tensor([t, kvHeads * hd]), v = rng.tensor([t, kvHeads * hd])
        let full = attention(q: q, k: k, v: v, heads: heads, kvHeads: kvHeads, headDim: hd, queryOffset: 0)
        var kc = Tensor(repeating: .nan, shape: [16, kvHeads * hd]), vc = kc
        for i in 0..<t {
            kc.replaceRows(startingAt: i, with: Tensor(shape: [1, kvHeads * hd], scalars: k.row(i)))
            vc.replaceRows(startingAt: i, with: Tensor(shape: [1, kvHeads * hd], scalars: v.row(i)))
            let qi = Tensor(shape: [1, heads * hd], scalars: q.row(i))
            let one = attention(q: qi, k: kc, v: vc, heads: heads, kvHeads: kvHeads, headDim: hd, queryOffset: i)
            XCTAssertLessThan(maxAbsDifference(one, Tensor(shape: [1, heads * hd], scalars: full.row(i))), 1e-5, "step \(i)")
        }
    }

    func testVectorExpIsAccurateOverItsRange() {
        // The SIMD exp behind softmax and SiLU, against Float64 exp: relative error below 3e-7 (a few ulp).
        var worst = 0.0
        var x: Float = -87
        while x <= 88 {
            let got = Double(fexp(x)), want = Foundation.exp(Double(x))
            worst = max(worst, abs(got - want) / want)
            x += 0.0137
        }
        XCTAssertLessThan(worst, 3e-7)
        XCTAssertEqual(fexp(-200), 0)
        XCTAssertEqual(fexp(0), 1)
        XCTAssertTrue(fexp(200).isFinite)
    }

    func testTopKOrderAndTies() {
        let row: [Float] = [0.5, 2, -1, 2, .nan, 7, 0.5, 3]
        let top = topK(row, k: 4)
        XCTAssertEqual(top.map(\.index), [5, 7, 1, 3])
        XCTAssertEqual(top.map(\.value), [7, 3, 2, 2])
        XCTAssertEqual(topK(row, k: 0).count, 0)
        XCTAssertEqual(topK(row, k: 100).map(\.index), [5, 7, 1, 3, 0, 6, 2])
        var rng = SeededRandom(seed: 10)
        let big = (0..<5000).map { _ in Float(rng.int(50)) }   // many ties
        for k in [1, 10, 200] {
            let expect = big.indices.sorted { big[$0] > big[$1] || (big[$0] == big[$1] && $0 < $1) }.prefix(k)
            XCTAssertEqual(topK(big, k: k).map(\.index), Array(expect), "k=\(k)")
        }
    }
}
