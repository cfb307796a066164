import XCTest
@testable import ElderTensor

/// Gradient checking through the tape against central finite differences of a Float64 reference.
///
/// The op runs on a tape with the given inputs as parameters (or constants when frozen); backward is seeded
/// with a random R, so the analytic gradient is that of L = sum(op(x) * R). The reference gradient is
/// (L(x + h e_j) - L(x - h e_j)) / 2h with L evaluated entirely in Float64 by the naive reference (h = 1e-6,
/// truncation and rounding error far below the tolerance). Pass: |g - ref| <= atol + rtol * |ref| everywhere.
struct GradientCheck {
    var atol = 1e-4
    var rtol = 1e-3
    var forwardTolerance = 1e-4

    /// Returns the worst normalized error (<= 1 passes) and asserts; frozen inputs must get no gradient.
    @discardableResult
    func run(_ name: String, inputs: [Tensor], frozen: Set<Int> = [], seed: UInt64 = 99,
             file: StaticString = #filePath, line: UInt = #line,
             op: (Tape, [Variable]) -> Variable, reference: ([[Double]]) -> [Double]) -> Double {
        let tape = Tape()
        let vars = inputs.enumerated().map { frozen.contains($0.offset) ? tape.constant($0.element) : tape.parameter($0.element) }
        let out = op(tape, vars)
        let x0 = inputs.map(\.doubles)
        let y0 = reference(x0)
        XCTAssertEqual(out.value.count, y0.count, "\(name): output size", file: file, line: line)
        let fwdErr = worstError(out.value.scalars, y0, rtol: forwardTolerance)
        XCTAssertLessThan(fwdErr, forwardTolerance, "\(name): forward differs from the reference", file: file, line: line)
        var rng = SeededRandom(seed: seed)
        let r = rng.tensor(out.value.shape)
        let rd = r.doubles
        tape.backward(out, seed: r)
        func loss(_ x: [[Double]]) -> Double { zip(reference(x), rd).reduce(0) { $0 + $1.0 * $1.1 } }
        var worst = 0.0
        for (i, v) in vars.enumerated() {
            if frozen.contains(i) {
                XCTAssertNil(v.grad, "\(name): frozen input \(i) got a gradient", file: file, line: line)
                continue
            }
            guard let g = v.grad else { XCTFail("\(name): input \(i) got no gradient", file: file, line: line); continue }
            XCTAssertEqual(g.shape, inputs[i].shape, file: file, line: line)
            let h = 1e-6
            for j in 0..<inputs[i].count {
                var xp = x0, xm = x0
                xp[i][j] += h; xm[i][j] -= h
                let fd = (loss(xp) - loss(xm)) / (2 * h)
                let err = abs(Double(g.scalars[j]) - fd) / (atol + rtol * abs(fd))
                worst = max(worst, err)
                if err > 1 {
                    XCTFail("\(name): d/dinput\(i)[\(j)] = \(g.scalars[j]), finite differences \(fd)", file: file, line: line)
                    return worst
                }
            }
        }
        print("gradient check \(name): worst error \(String(format: "%.1e", worst)) of tolerance (forward max |diff| \(String(format: "%.1e", worstError(out.value.scalars, y0, rtol: 0))))")
        return worst
    }
}
