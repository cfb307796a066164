import ElderEditing
import ElderModel
import ElderStable
import ElderTensor
import XCTest

/// A seeded random tensor with entries in [-scale, scale).
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = SplitMix64(seed: seed)
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0..<n).map { _ in (rng.nextUnitFloat() * 2 - 1) * scale })
}

/// Σ x ⊙ r in Float64: a scalar loss with a known gradient (r) with respect to x.
func weightedSum(_ x: Tensor, _ r: Tensor) -> Double {
    zip(x.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

/// Central finite difference of `f` at element `i` of `x`.
func centralDifference(_ x: Tensor, _ i: Int, h: Float, _ f: (Tensor) -> Double) -> Double {
    var plus = x, minus = x
    plus.scalars[i] += h
    minus.scalars[i] -= h
    return (f(plus) - f(minus)) / Double(2 * h)
}

/// Asserts that analytic and numeric gradients agree within `tolerance`, relative to the larger magnitude
/// (and absolute below 1), printing the worst difference.
func assertGradientsClose(_ analytic: [Double], _ numeric: [Double], tolerance: Double, _ what: String,
                          file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(analytic.count, numeric.count, what, file: file, line: line)
    var worst = 0.0
    for (a, n) in zip(analytic, numeric) {
        worst = max(worst, abs(a - n) / max(1, abs(a), abs(n)))
    }
    print("gradient check \(what): worst relative difference \(worst)")
    XCTAssertLessThanOrEqual(worst, tolerance, "\(what): worst relative difference \(worst)", file: file, line: line)
}

/// Elder's default editor on the tiny 4-block model, 4 LoRAs per layer and a learning rate of 2e-2 (it
/// converges in a few steps there), with `configure` applied before it is made.
func tinyMixtureEditor(_ configure: (inout EditorConfiguration) -> Void = { _ in }) throws -> (MixtureEditor, LoadedModel) {
    let loaded = try TinyModel.make()
    var c = EditorConfiguration.elderDefault(blockCount: 4)
    c.experts = 4
    c.learningRate = 2e-2
    configure(&c)
    return (try MixtureEditor(model: loaded, configuration: c, referencePrompts: ["ab cd", "ef gh", "ij kl"]), loaded)
}
