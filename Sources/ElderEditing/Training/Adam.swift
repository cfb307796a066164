import ElderTensor

/// Adam over named tensors (Kingma & Ba), with bias correction. One instance per edit, as the paper does;
/// updates happen in name order so results are bit-reproducible.
public struct Adam: Sendable {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    private var step = 0
    private var first: [String: [Float]] = [:]
    private var second: [String: [Float]] = [:]

    public init(learningRate: Float) {
        self.learningRate = learningRate
    }

    /// Applies one step: `parameters[name] -= lr · m̂ / (√v̂ + ε)` for every name in `gradients`.
    public mutating func update(_ parameters: inout [String: Tensor], gradients: [String: Tensor]) {
        step += 1
        let c1 = 1 - pow(beta1, Float(step)), c2 = 1 - pow(beta2, Float(step))
        let (b1, b2, eps, lr) = (beta1, beta2, epsilon, learningRate)
        for name in gradients.keys.sorted() {
            guard let g = gradients[name], var p = parameters.removeValue(forKey: name) else { continue }
            precondition(g.shape == p.shape, "Adam: gradient \(g.shape) for \(name) \(p.shape)")
            var m = first.removeValue(forKey: name) ?? [Float](repeating: 0, count: g.count)
            var v = second.removeValue(forKey: name) ?? [Float](repeating: 0, count: g.count)
            p.scalars.withUnsafeMutableBufferPointer { pp in
                g.scalars.withUnsafeBufferPointer { gp in
                    m.withUnsafeMutableBufferPointer { mp in
                        v.withUnsafeMutableBufferPointer { vp in
                            for i in 0..<pp.count {
                                mp[i] = b1 * mp[i] + (1 - b1) * gp[i]
                                vp[i] = b2 * vp[i] + (1 - b2) * gp[i] * gp[i]
                                pp[i] -= lr * (mp[i] / c1) / ((vp[i] / c2).squareRoot() + eps)
                            }
                        }
                    }
                }
            }
            parameters[name] = p
            first[name] = m
            second[name] = v
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
