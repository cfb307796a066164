import ElderStable
import Foundation
@testable import ElderTensor

/// Elder's SplitMix64 with the draws the kernel tests use, so every test sees the same numbers.
struct SeededRandom {
    var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(seed: seed) }
    mutating func next() -> UInt64 { generator.next() }
    /// Uniform in [-scale, scale).
    mutating func uniform(_ scale: Float = 1) -> Float {
        Float(Double(next() >> 11) / Double(1 << 53) * 2 - 1) * scale
    }
    mutating func tensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in uniform(scale) })
    }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Naive Float64 definitions of every kernel: the independent references for forward and gradient tests.
enum Ref {
    static func matmul(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int, ta: Bool, tb: Bool) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for p in 0..<k { s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]) }
            c[i * n + j] = s
        } }
        return c
    }
    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    static func silu(_ x: [Double]) -> [Double] { x.map { $0 * sigmoid($0) } }
    static func swiglu(_ g: [Double], _ u: [Double]) -> [Double] { zip(g, u).map { $0 * sigmoid($0) * $1 } }
    /// gelu with the tanh approximation, by its definition: 0.5 x (1 + tanh(sqrt(2/π)(x + 0.044715 x³))).
    static func geglu(_ g: [Double], _ u: [Double]) -> [Double] {
        zip(g, u).map { x, u in 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))) * u }
    }
    static func rmsNorm(_ x: [Double], _ w: [Double], d: Int, eps: Double) -> [Double] {
        var out = x
        for t in 0..<(x.count / d) {
            var ss = 0.0
            for i in 0..<d { ss += x[t * d + i] * x[t * d + i] }
            let r = 1 / (ss / Double(d) + eps).squareRoot()
            for i in 0..<d { out[t * d + i] = x[t * d + i] * r * w[i] }
        }
        return out
    }
    /// Rope by its definition: pair (a, b) of head h turns by pos * base^(-2i/hd).
    static func rope(_ x: [Double], heads: Int, hd: Int, positions: [Int], base: Double, style: RopeStyle) -> [Double] {
        var out = x
        let w = heads * hd
        for (t, pos) in positions.enumerated() { for h in 0..<heads { for i in 0..<(hd / 2) {
            let theta = Double(pos) * pow(base, -Double(2 * i) / Double(hd))
            let (ia, ib) = style == .adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + hd / 2)
            let a = x[t * w + h * hd + ia], b = x[t * w + h * hd + ib]
            out[t * w + h * hd + ia] = a * cos(theta) - b * sin(theta)
            out[t * w + h * hd + ib] = a * sin(theta) + b * cos(theta)
        } } }
        return out
    }
    static func softmax(_ x: [Double], n: Int) -> [Double] {
        var out = x
        for r in 0..<(x.count / n) {
            let row = x[(r * n)..<((r + 1) * n)]
            let m = row.max()!
            let s = row.reduce(0) { $0 + exp($1 - m) }
            for i in 0..<n { out[r * n + i] = exp(x[r * n + i] - m) / s }
        }
        return out
    }
    static func logSoftmax(_ x: [Double], n: Int) -> [Double] {
        var out = x
        for r in 0..<(x.count / n) {
            let row = x[(r * n)..<((r + 1) * n)]
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            for i in 0..<n { out[r * n + i] = x[r * n + i] - lse }
        }
        return out
    }
    static func crossEntropy(_ logits: [Double], v: Int, targets: [(position: Int, token: Int)]) -> Double {
        let ls = logSoftmax(logits, n: v)
        return targets.reduce(0) { $0 - ls[$1.position * v + $1.token] } / Double(targets.count)
    }
    /// Scores q·k / sqrt(hd) (or · scale) for every (head, query, key) with the causal rule (keys at most
    /// window - 1 positions back, if a window is given), softmax, weighted sum of v.
    static func attention(q: [Double], k: [Double], v: [Double], t: Int, heads: Int, kvHeads: Int, hd: Int,
                          offset: Int, scale: Double? = nil, window: Int? = nil) -> [Double] {
        var out = [Double](repeating: 0, count: t * heads * hd)
        let wq = heads * hd, wk = kvHeads * hd
        for h in 0..<heads {
            let g = h / (heads / kvHeads)
            for i in 0..<t {
                let n = offset + i + 1
                var s = [Double](repeating: 0, count: n)
                for j in 0..<n { for c in 0..<hd { s[j] += q[i * wq + h * hd + c] * k[j * wk + g * hd + c] } }
                s = s.map { $0 * (scale ?? 1 / Double(hd).squareRoot()) }
                let first = window.map { max(0, n - $0) } ?? 0   // keys before `first` are outside the window
                let p = [Double](repeating: 0, count: first) + softmax(Array(s[first...]), n: n - first)
                for j in 0..<n { for c in 0..<hd { out[i * wq + h * hd + c] += p[j] * v[j * wk + g * hd + c] } }
            }
        }
        return out
    }
}

extension Tensor {
    var doubles: [Double] { scalars.map(Double.init) }
}

/// Largest |a - b| / (atol + |b|)-style error: max over i of |a_i - b_i| - (rtol * |b_i|); <= atol passes.
func worstError(_ a: [Float], _ b: [Double], rtol: Double) -> Double {
    precondition(a.count == b.count)
    var worst = 0.0
    for i in 0..<a.count { worst = max(worst, abs(Double(a[i]) - b[i]) - rtol * abs(b[i])) }
    return worst
}
