import ElderEditing
import ElderTensor
import XCTest

final class RouterTests: XCTestCase {
    let s = 3, q = 6, n = 4
    lazy var query = randomTensor([s, q], seed: 11)
    lazy var weight = randomTensor([n, q], seed: 12)
    lazy var bias = randomTensor([n], seed: 13)
    let allocated = [[0, 2], [1, 3], [2, 3]]

    func loss(weight: Tensor, bias: Tensor) -> Double {
        let p = Router.probabilities(query: query, weight: weight, bias: bias)
        // Guided loss plus a weighted sum of the probabilities (the path the LM gradient takes in soft routing).
        return Double(Router.guidedLoss(probabilities: p, allocated: allocated)) * 0.5 + weightedSum(p, randomTensor([s, n], seed: 14))
    }

    func testProbabilitiesAreASoftmaxOfTheLogits() {
        let p = Router.probabilities(query: query, weight: weight, bias: bias)
        for row in 0..<s {
            var z = [Double](repeating: 0, count: n)
            for j in 0..<n {
                z[j] = Double(bias.scalars[j])
                for i in 0..<q { z[j] += Double(weight.scalars[j * q + i]) * Double(query.scalars[row * q + i]) }
            }
            let m = z.max()!
            let total = z.reduce(0) { $0 + exp($1 - m) }
            for j in 0..<n { XCTAssertEqual(Double(p.scalars[row * n + j]), exp(z[j] - m) / total, accuracy: 1e-6) }
        }
    }

    func testGuidedLossGradientMatchesFiniteDifferences() {
        let p = Router.probabilities(query: query, weight: weight, bias: bias)
        var ds = randomTensor([s, n], seed: 14)                   // the weighted-sum part
        Router.guidedLossBackward(ds: &ds, probabilities: p, allocated: allocated, scale: 0.5)
        var dw = Tensor(zeros: [n, q]), db = Tensor(zeros: [n])
        Router.backward(dw: &dw, db: &db, ds: ds, probabilities: p, query: query)
        let h: Float = 1e-2
        let numericW = (0..<weight.count).map { i in centralDifference(weight, i, h: h) { self.loss(weight: $0, bias: self.bias) } }
        let numericB = (0..<bias.count).map { i in centralDifference(bias, i, h: h) { self.loss(weight: self.weight, bias: $0) } }
        // Float32 forward, second-order error h² ≈ 1e-4: a stated tolerance of 2e-3.
        assertGradientsClose(dw.scalars.map(Double.init), numericW, tolerance: 2e-3, "router dW")
        assertGradientsClose(db.scalars.map(Double.init), numericB, tolerance: 2e-3, "router db")
    }

    func testTopKMixtureKeepsProbabilitiesUnlessRenormalized() {
        let p = Tensor(shape: [1, 4], scalars: [0.1, 0.4, 0.2, 0.3])
        let raw = Router.topKMixture(probabilities: p, k: 2, renormalize: false)[0]
        XCTAssertEqual(raw.experts, [1, 3])
        XCTAssertEqual(raw.weights, [0.4, 0.3])
        let norm = Router.topKMixture(probabilities: p, k: 2, renormalize: true)[0]
        XCTAssertEqual(norm.weights[0], 0.4 / 0.7, accuracy: 1e-6)
    }
}
