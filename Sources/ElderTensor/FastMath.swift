// Vectorized exp and the row reductions built on it (softmax, SiLU). AVX2 via SIMD8 with -target-cpu haswell.

/// exp(x) for eight lanes: Cephes-style range reduction 2^n * p(r), about 1 ulp in float32.
/// Inputs below -87.3 give 0; inputs above 88 give exp(88) ≈ 1.65e38 (2^n must stay a normal float).
@inline(__always)
func vexp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let hi = SIMD8<Float>(repeating: 88), lo = SIMD8<Float>(repeating: -87.3)
    // Blends, not clamped(lowerBound:upperBound:), which compiles to out-of-line calls here.
    let xc = x.replacing(with: hi, where: x .> hi).replacing(with: lo, where: x .< lo)
    let magic = SIMD8<Float>(repeating: 12_582_912)            // 1.5 * 2^23: adding it rounds to an integer
    let t = magic.addingProduct(xc, SIMD8(repeating: 1.442_695_04))
    let n = t - magic
    var r = xc.addingProduct(n, SIMD8(repeating: -0.693_359_375))
    r = r.addingProduct(n, SIMD8(repeating: 2.121_944_40e-4))
    var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
    p = SIMD8(repeating: 1.398_199_95e-3).addingProduct(p, r)
    p = SIMD8(repeating: 8.333_451_91e-3).addingProduct(p, r)
    p = SIMD8(repeating: 4.166_579_59e-2).addingProduct(p, r)
    p = SIMD8(repeating: 1.666_666_55e-1).addingProduct(p, r)
    p = SIMD8(repeating: 5.000_000_12e-1).addingProduct(p, r)
    p = (r + 1).addingProduct(p, r * r)
    let tb = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    let scale = unsafeBitCast((tb &+ 127) &<< 23, to: SIMD8<Float>.self)
    var e = p * scale
    e.replace(with: 0, where: x .< lo)
    return e
}

/// Scalar exp with the same polynomial as `vexp` (so tails of a row match its body).
@inline(__always)
func fexp(_ x: Float) -> Float {
    vexp(SIMD8<Float>(repeating: x))[0]
}

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Largest of n >= 1 values.
@inline(__always)
func rowMax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var i = 0
    var m: Float = -.infinity
    if n >= 8 {
        var acc = load8(p)
        i = 8
        while i + 8 <= n { let v = load8(p + i); acc.replace(with: v, where: v .> acc); i += 8 }
        m = acc.max()
    }
    while i < n { m = max(m, p[i]); i += 1 }
    return m
}

/// out[i] = exp(x[i] - shift) for i < n; returns the sum (x and out may alias).
@inline(__always)
func expShifted(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
    var i = 0
    var acc = SIMD8<Float>()
    let s = SIMD8<Float>(repeating: shift)
    while i + 8 <= n {
        let e = vexp(load8(x + i) - s)
        store8(e, out + i)
        acc += e
        i += 8
    }
    var sum = acc.sum()
    while i < n { let e = fexp(x[i] - shift); out[i] = e; sum += e; i += 1 }
    return sum
}

/// Dot product of n values: four 8-lane FMA accumulators, so the loop is not bound by FMA latency.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
    var i = 0
    while i + 32 <= n {
        s0 = s0.addingProduct(load8(a + i), load8(b + i))
        s1 = s1.addingProduct(load8(a + i + 8), load8(b + i + 8))
        s2 = s2.addingProduct(load8(a + i + 16), load8(b + i + 16))
        s3 = s3.addingProduct(load8(a + i + 24), load8(b + i + 24))
        i += 32
    }
    while i + 8 <= n { s0 = s0.addingProduct(load8(a + i), load8(b + i)); i += 8 }
    var s = ((s0 + s1) + (s2 + s3)).sum()
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}

/// Sum of squares of n values.
@inline(__always)
func sumOfSquares(_ a: UnsafePointer<Float>, _ n: Int) -> Float { dot(a, a, n) }
