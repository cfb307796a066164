import XCTest
@testable import ElderTensor

/// The tape as the edit trainer uses it: frozen weights, a few trainable tensors, a loss on selected positions.
final class TapeTests: XCTestCase {

    func testConstantsRecordNothingAndGetNoGradient() {
        var rng = SeededRandom(seed: 30)
        let tape = Tape()
        let x = tape.constant(rng.tensor([2, 4])), w = tape.constant(rng.tensor([3, 4]))
        let y = tape.silu(tape.matmul(x, w, transposeB: true))
        XCTAssertFalse(y.requiresGrad)
        XCTAssertEqual(tape.recordCount, 0)
        tape.backward(tape.sum(y))
        XCTAssertNil(x.grad); XCTAssertNil(w.grad); XCTAssertNil(y.grad)
        // One trainable input: only the ops downstream of it are recorded, and only it gets a gradient.
        let p = tape.parameter(rng.tensor([3, 4]))
        let z = tape.sum(tape.add(tape.matmul(x, p, transposeB: true), y))
        XCTAssertEqual(tape.recordCount, 3)
        tape.backward(z)
        XCTAssertNil(x.grad); XCTAssertNil(w.grad)
        XCTAssertEqual(p.grad?.shape, [3, 4])
        // d sum(x pᵀ) / dp[j, c] = sum_t x[t, c].
        for j in 0..<3 { for c in 0..<4 {
            XCTAssertEqual(p.grad!.scalars[j * 4 + c], x.value.scalars[c] + x.value.scalars[4 + c], accuracy: 1e-6)
        } }
    }

    /// A tiny LLaMA block (RMSNorm, q/k/v with GQA 4/2 and rope, attention, o, residual, RMSNorm, SwiGLU FFN
    /// with a LoRA on the down projection, residual, final norm, LM head) trained through the tape with frozen
    /// base weights; gradients of the trainable tensors against Float64 finite differences of the same network.
    func testTinyBlockWithFrozenWeightsMatchesFiniteDifferences() {
        var rng = SeededRandom(seed: 31)
        let (v, d, f, heads, kvHeads, hd, r) = (13, 8, 12, 4, 2, 2, 2)
        let ids = [3, 1, 12, 3, 7]
        let t = ids.count
        let positions = Array(0..<t)
        let targets: [(position: Int, token: Int)] = [(2, 5), (4, 9)]
        // 0 table, 1 norm1, 2 wq, 3 wk, 4 wv, 5 wo, 6 norm2, 7 gate, 8 up, 9 down, 10 loraA, 11 loraB, 12 normF, 13 head
        let shapes = [[v, d], [d], [heads * hd, d], [kvHeads * hd, d], [kvHeads * hd, d], [d, heads * hd], [d],
                      [f, d], [f, d], [d, f], [r, f], [d, r], [d], [v, d]]
        let inputs = shapes.map { rng.tensor($0, scale: 0.7) }
        let trainable: Set<Int> = [4, 10, 11]
        let frozen = Set(0..<inputs.count).subtracting(trainable)

        func tapeNetwork(_ tape: Tape, _ p: [Variable]) -> Variable {
            let x = tape.embedding(p[0], ids: ids)
            let h = tape.rmsNorm(x, weight: p[1], eps: 1e-5)
            let q = tape.rope(tape.matmul(h, p[2], transposeB: true), heads: heads, headDim: hd, positions: positions, base: 10_000, style: .adjacentPairs)
            let k = tape.rope(tape.matmul(h, p[3], transposeB: true), heads: kvHeads, headDim: hd, positions: positions, base: 10_000, style: .adjacentPairs)
            let vv = tape.matmul(h, p[4], transposeB: true)
            let a = tape.attention(q: q, k: k, v: vv, heads: heads, kvHeads: kvHeads, headDim: hd, queryOffset: 0)
            let x2 = tape.add(x, tape.matmul(a, p[5], transposeB: true))
            let h2 = tape.rmsNorm(x2, weight: p[6], eps: 1e-5)
            let s = tape.swiglu(gate: tape.matmul(h2, p[7], transposeB: true), up: tape.matmul(h2, p[8], transposeB: true))
            let down = tape.matmul(s, p[9], transposeB: true)
            let lora = tape.scale(tape.matmul(tape.matmul(s, p[10], transposeB: true), p[11], transposeB: true), by: 0.5)
            let x3 = tape.add(x2, tape.add(down, lora))
            let logits = tape.matmul(tape.rmsNorm(x3, weight: p[12], eps: 1e-5), p[13], transposeB: true)
            return tape.crossEntropy(logits, targets: targets)
        }
        func refNetwork(_ p: [[Double]]) -> [Double] {
            func mm(_ a: [Double], _ w: [Double], _ n: Int) -> [Double] {   // a [t, k] x w[n, k]ᵀ
                Ref.matmul(a, w, m: t, k: a.count / t, n: n, ta: false, tb: true)
            }
            let x = ids.flatMap { Array(p[0][($0 * d)..<($0 * d + d)]) }
            let h = Ref.rmsNorm(x, p[1], d: d, eps: 1e-5)
            let q = Ref.rope(mm(h, p[2], heads * hd), heads: heads, hd: hd, positions: positions, base: 10_000, style: .adjacentPairs)
            let k = Ref.rope(mm(h, p[3], kvHeads * hd), heads: kvHeads, hd: hd, positions: positions, base: 10_000, style: .adjacentPairs)
            let a = Ref.attention(q: q, k: k, v: mm(h, p[4], kvHeads * hd), t: t, heads: heads, kvHeads: kvHeads, hd: hd, offset: 0)
            let x2 = zip(x, mm(a, p[5], d)).map(+)
            let h2 = Ref.rmsNorm(x2, p[6], d: d, eps: 1e-5)
            let s = Ref.swiglu(mm(h2, p[7], f), mm(h2, p[8], f))
            let lora = mm(mm(s, p[10], r), p[11], d).map { $0 * 0.5 }
            let x3 = zip(x2, zip(mm(s, p[9], d), lora).map(+)).map(+)
            let logits = mm(Ref.rmsNorm(x3, p[12], d: d, eps: 1e-5), p[13], v)
            return [Ref.crossEntropy(logits, v: v, targets: targets)]
        }
        GradientCheck().run("tiny block, frozen base", inputs: inputs, frozen: frozen, op: tapeNetwork, reference: refNetwork)

        // The frozen run records fewer operations than the fully trainable one (no work for frozen branches).
        let frozenTape = Tape(), fullTape = Tape()
        _ = tapeNetwork(frozenTape, inputs.enumerated().map { trainable.contains($0.offset) ? frozenTape.parameter($0.element) : frozenTape.constant($0.element) })
        _ = tapeNetwork(fullTape, inputs.map { fullTape.parameter($0) })
        XCTAssertLessThan(frozenTape.recordCount, fullTape.recordCount)
    }

    func testCustomOperationJoinsTheBackwardPass() {
        // y = 3 x, written outside the module's op list; then a built-in op on top.
        var rng = SeededRandom(seed: 32)
        GradientCheck().run("custom op", inputs: [rng.tensor([2, 5])], op: { tape, v in
            let x = v[0]
            let y = tape.custom(ElderTensor.scale(x.value, by: 3), inputs: [x]) { dy in
                x.accumulateGradient(ElderTensor.scale(dy, by: 3))
            }
            return tape.silu(y)
        }, reference: { Ref.silu($0[0].map { 3 * $0 }) })
    }
}
