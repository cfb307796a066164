import Foundation

// Rotary position embedding.   x: [T, H*hd]   positions: [T]
//   pair i of a head (i < hd/2) turns by angle positions[t] * base^(-2i/hd);
//   adjacentPairs rotates (x[2i], x[2i+1]) (GGUF / llama.cpp layout),
//   halfSplit rotates (x[i], x[i + hd/2]) (Hugging Face layout).

/// Which elements of a head form a rotated pair.
public enum RopeStyle: Sendable, Equatable {
    case adjacentPairs, halfSplit
}

/// Cosines and sines [T, hd/2] of the rotation angles, computed in float32 as Hugging Face does.
func ropeTable(positions: [Int], headDim: Int, base: Float) -> (cos: [Float], sin: [Float]) {
    let half = headDim / 2
    var invFreq = [Float](repeating: 0, count: half)
    for i in 0..<half { invFreq[i] = 1 / pow(base, Float(2 * i) / Float(headDim)) }
    var c = [Float](repeating: 0, count: positions.count * half), s = c
    for (t, p) in positions.enumerated() {
        for i in 0..<half {
            let angle = Float(p) * invFreq[i]
            c[t * half + i] = cos(angle)
            s[t * half + i] = sin(angle)
        }
    }
    return (c, s)
}

/// Rotates every head of every row; `inverse` turns by the negative angle (the backward pass).
func ropeRotate(_ x: Tensor, heads: Int, headDim: Int, positions: [Int], base: Float, style: RopeStyle,
                inverse: Bool) -> Tensor {
    precondition(headDim % 2 == 0, "rope: head dimension \(headDim) must be even")
    precondition(x.lastDimension == heads * headDim, "rope: rows of \(x.lastDimension), expected \(heads)x\(headDim)")
    precondition(x.rowCount == positions.count, "rope: \(x.rowCount) rows but \(positions.count) positions")
    let half = headDim / 2, width = heads * headDim
    let (cosT, sinT) = ropeTable(positions: positions, headDim: headDim, base: base)
    let sign: Float = inverse ? -1 : 1
    let (stride, offset) = style == .adjacentPairs ? (2, 1) : (1, half)
    var out = Tensor(zeros: x.shape)
    out.scalars.withUnsafeMutableBufferPointer { o in
        x.scalars.withUnsafeBufferPointer { xp in
            cosT.withUnsafeBufferPointer { cp in
                sinT.withUnsafeBufferPointer { sp in
                    for t in 0..<positions.count {
                        let cr = cp.baseAddress! + t * half, sr = sp.baseAddress! + t * half
                        for h in 0..<heads {
                            let src = xp.baseAddress! + t * width + h * headDim
                            let dst = o.baseAddress! + t * width + h * headDim
                            for i in 0..<half {
                                let j = i * stride
                                let a = src[j], b = src[j + offset]
                                let c = cr[i], s = sign * sr[i]
                                dst[j] = a * c - b * s
                                dst[j + offset] = a * s + b * c
                            }
                        }
                    }
                }
            }
        }
    }
    return out
}

/// Applies rotary position embedding to each of `heads` heads of width `headDim` in every row.
public func rope(_ x: Tensor, heads: Int, headDim: Int, positions: [Int], base: Float, style: RopeStyle) -> Tensor {
    ropeRotate(x, heads: heads, headDim: headDim, positions: positions, base: base, style: style, inverse: false)
}

/// Backward of rope (an orthogonal map): dx += rotation of dout by the negative angles.
public func ropeBackward(dx: inout Tensor, dout: Tensor, heads: Int, headDim: Int, positions: [Int],
                         base: Float, style: RopeStyle) {
    addScaled(into: &dx, ropeRotate(dout, heads: heads, headDim: headDim, positions: positions, base: base,
                                    style: style, inverse: true))
}
