import XCTest
@testable import ElderTensor

/// Every differentiable operation through the tape, against Float64 central finite differences.
final class GradientCheckTests: XCTestCase {
    let check = GradientCheck()

    func testMatmulAllTransposeCombinations() {
        var rng = SeededRandom(seed: 11)
        let (m, k, n) = (3, 5, 4)
        for ta in [false, true] { for tb in [false, true] {
            let a = rng.tensor(ta ? [k, m] : [m, k]), b = rng.tensor(tb ? [n, k] : [k, n])
            check.run("matmul ta=\(ta) tb=\(tb)", inputs: [a, b],
                      op: { $0.matmul($1[0], $1[1], transposeA: ta, transposeB: tb) },
                      reference: { Ref.matmul($0[0], $0[1], m: m, k: k, n: n, ta: ta, tb: tb) })
        } }
    }

    func testMatmulWithFrozenWeightGivesOnlyInputGradient() {
        var rng = SeededRandom(seed: 12)
        let x = rng.tensor([3, 5]), w = rng.tensor([4, 5])
        check.run("matmul frozen W", inputs: [x, w], frozen: [1],
                  op: { $0.matmul($1[0], $1[1], transposeB: true) },
                  reference: { Ref.matmul($0[0], $0[1], m: 3, k: 5, n: 4, ta: false, tb: true) })
    }

    func testEmbeddingWithRepeatedIds() {
        var rng = SeededRandom(seed: 13)
        let ids = [2, 0, 2, 5]
        check.run("embedding", inputs: [rng.tensor([6, 3])], op: { $0.embedding($1[0], ids: ids) },
                  reference: { x in ids.flatMap { Array(x[0][($0 * 3)..<($0 * 3 + 3)]) } })
    }

    func testGatherRows() {
        var rng = SeededRandom(seed: 21)
        let rows = [4, 1, 4]
        check.run("gatherRows", inputs: [rng.tensor([5, 3])], op: { $0.gatherRows($1[0], rows) },
                  reference: { x in rows.flatMap { Array(x[0][($0 * 3)..<($0 * 3 + 3)]) } })
    }

    func testScaleRowsAndSliceColumns() {
        var rng = SeededRandom(seed: 22)
        let x = rng.tensor([3, 10]), w = rng.tensor([3, 1])
        check.run("scaleRows", inputs: [x, w], op: { $0.scaleRows($1[0], by: $1[1]) },
                  reference: { v in (0..<30).map { v[0][$0] * v[1][$0 / 10] } })
        check.run("scaleRows frozen x", inputs: [x, w], frozen: [0], op: { $0.scaleRows($1[0], by: $1[1]) },
                  reference: { v in (0..<30).map { v[0][$0] * v[1][$0 / 10] } })
        check.run("sliceColumns", inputs: [x], op: { $0.sliceColumns($1[0], start: 2, count: 5) },
                  reference: { v in (0..<3).flatMap { t in (2..<7).map { v[0][t * 10 + $0] } } })
    }

    func testAddMulScaleSumReshape() {
        var rng = SeededRandom(seed: 14)
        let a = rng.tensor([2, 5]), b = rng.tensor([2, 5])
        check.run("add", inputs: [a, b], op: { $0.add($1[0], $1[1]) }, reference: { zip($0[0], $0[1]).map(+) })
        check.run("mul", inputs: [a, b], op: { $0.mul($1[0], $1[1]) }, reference: { zip($0[0], $0[1]).map(*) })
        check.run("mul x*x (one variable twice)", inputs: [a], op: { $0.mul($1[0], $1[0]) }, reference: { $0[0].map { $0 * $0 } })
        check.run("scale", inputs: [a], op: { $0.scale($1[0], by: -1.5) }, reference: { $0[0].map { $0 * -1.5 } })
        check.run("sum of reshaped", inputs: [a], op: { $0.sum($0.reshaped($1[0], [5, 2])) }, reference: { [$0[0].reduce(0, +)] })
    }

    func testRmsNorm() {
        var rng = SeededRandom(seed: 15)
        check.run("rmsNorm", inputs: [rng.tensor([3, 19], scale: 2), rng.tensor([19])],   // 19: SIMD body and tail
                  op: { $0.rmsNorm($1[0], weight: $1[1], eps: 1e-5) },
                  reference: { Ref.rmsNorm($0[0], $0[1], d: 19, eps: 1e-5) })
    }

    func testRopeBothStyles() {
        var rng = SeededRandom(seed: 16)
        let positions = [0, 4, 9]
        for style in [RopeStyle.adjacentPairs, .halfSplit] {
            check.run("rope \(style)", inputs: [rng.tensor([3, 2 * 6])],
                      op: { $0.rope($1[0], heads: 2, headDim: 6, positions: positions, base: 10_000, style: style) },
                      reference: { Ref.rope($0[0], heads: 2, hd: 6, positions: positions, base: 10_000, style: style) })
        }
    }

    func testSiluAndSwiglu() {
        var rng = SeededRandom(seed: 17)
        check.run("silu", inputs: [rng.tensor([2, 11], scale: 4)], op: { $0.silu($1[0]) }, reference: { Ref.silu($0[0]) })
        check.run("swiglu", inputs: [rng.tensor([2, 11], scale: 4), rng.tensor([2, 11])],
                  op: { $0.swiglu(gate: $1[0], up: $1[1]) }, reference: { Ref.swiglu($0[0], $0[1]) })
        check.run("swiglu frozen gate", inputs: [rng.tensor([2, 11], scale: 4), rng.tensor([2, 11])], frozen: [0],
                  op: { $0.swiglu(gate: $1[0], up: $1[1]) }, reference: { Ref.swiglu($0[0], $0[1]) })
        check.run("swiglu frozen up", inputs: [rng.tensor([2, 11], scale: 4), rng.tensor([2, 11])], frozen: [1],
                  op: { $0.swiglu(gate: $1[0], up: $1[1]) }, reference: { Ref.swiglu($0[0], $0[1]) })
    }

    func testGeglu() {
        var rng = SeededRandom(seed: 23)
        check.run("geglu", inputs: [rng.tensor([2, 11], scale: 4), rng.tensor([2, 11])],
                  op: { $0.geglu(gate: $1[0], up: $1[1]) }, reference: { Ref.geglu($0[0], $0[1]) })
        check.run("geglu frozen up", inputs: [rng.tensor([2, 11], scale: 4), rng.tensor([2, 11])], frozen: [1],
                  op: { $0.geglu(gate: $1[0], up: $1[1]) }, reference: { Ref.geglu($0[0], $0[1]) })
    }

    func testAttentionWithScaleAndSlidingWindow() {
        var rng = SeededRandom(seed: 24)
        let (heads, kvHeads, hd, t) = (2, 1, 4, 5)
        for (offset, window) in [(0, 2), (3, 3), (2, 1)] {
            let s = offset + t
            let inputs = [rng.tensor([t, heads * hd]), rng.tensor([s, kvHeads * hd]), rng.tensor([s, kvHeads * hd])]
            check.run("attention offset \(offset) window \(window)", inputs: inputs,
                      op: { $0.attention(q: $1[0], k: $1[1], v: $1[2], heads: heads, kvHeads: kvHeads, headDim: hd,
                                         queryOffset: offset, scale: 0.3, window: window) },
                      reference: { Ref.attention(q: $0[0], k: $0[1], v: $0[2], t: t, heads: heads, kvHeads: kvHeads,
                                                 hd: hd, offset: offset, scale: 0.3, window: window) })
        }
    }

    func testAttentionGroupedQueryHeads() {
        var rng = SeededRandom(seed: 18)
        let (heads, kvHeads, hd, t) = (4, 2, 4, 3)
        for offset in [0, 2] {
            let s = offset + t + 1   // one cached row past the last query: must get zero gradient
            let inputs = [rng.tensor([t, heads * hd]), rng.tensor([s, kvHeads * hd]), rng.tensor([s, kvHeads * hd])]
            check.run("attention 4q/2kv offset \(offset)", inputs: inputs,
                      op: { $0.attention(q: $1[0], k: $1[1], v: $1[2], heads: heads, kvHeads: kvHeads, headDim: hd,
                                         queryOffset: offset) },
                      reference: { Ref.attention(q: $0[0], k: $0[1], v: $0[2], t: t, heads: heads, kvHeads: kvHeads,
                                                 hd: hd, offset: offset) })
        }
        // One query row (the decode shape: matrix-vector products inside), with and without a prefix.
        for offset in [0, 3] {
            let inputs = [rng.tensor([1, heads * hd]), rng.tensor([offset + 1, kvHeads * hd]), rng.tensor([offset + 1, kvHeads * hd])]
            check.run("attention 1 query row offset \(offset)", inputs: inputs,
                      op: { $0.attention(q: $1[0], k: $1[1], v: $1[2], heads: heads, kvHeads: kvHeads, headDim: hd, queryOffset: offset) },
                      reference: { Ref.attention(q: $0[0], k: $0[1], v: $0[2], t: 1, heads: heads, kvHeads: kvHeads, hd: hd, offset: offset) })
        }
        // Frozen keys and values (e.g. a cached prefix): only q gets a gradient.
        let inputs = [rng.tensor([t, heads * hd]), rng.tensor([t, kvHeads * hd]), rng.tensor([t, kvHeads * hd])]
        check.run("attention frozen k,v", inputs: inputs, frozen: [1, 2],
                  op: { $0.attention(q: $1[0], k: $1[1], v: $1[2], heads: heads, kvHeads: kvHeads, headDim: hd, queryOffset: 0) },
                  reference: { Ref.attention(q: $0[0], k: $0[1], v: $0[2], t: t, heads: heads, kvHeads: kvHeads, hd: hd, offset: 0) })
    }

    func testSoftmaxAndLogSoftmax() {
        var rng = SeededRandom(seed: 19)
        check.run("softmax", inputs: [rng.tensor([3, 21], scale: 3)], op: { $0.softmax($1[0]) }, reference: { Ref.softmax($0[0], n: 21) })
        check.run("logSoftmax", inputs: [rng.tensor([3, 21], scale: 3)], op: { $0.logSoftmax($1[0]) },
                  reference: { Ref.logSoftmax($0[0], n: 21) })
    }

    func testCrossEntropyOnSelectedPositions() {
        var rng = SeededRandom(seed: 20)
        let targets: [(position: Int, token: Int)] = [(1, 4), (3, 0), (3, 10)]   // rows 0 and 2 unused
        check.run("crossEntropy", inputs: [rng.tensor([4, 11], scale: 3)],
                  op: { $0.crossEntropy($1[0], targets: targets) },
                  reference: { [Ref.crossEntropy($0[0], v: 11, targets: targets)] })
    }
}
