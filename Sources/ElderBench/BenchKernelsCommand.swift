import ArgumentParser
import COpenBLAS
import ElderLab
import ElderTensor
import Foundation

extension ElderBenchCommand {
    /// `elder-bench kernels`: our matmul against raw cblas_sgemm on the SmolLM2-135M shapes, and the
    /// forward + backward time of one transformer block, as medians over interleaved repetitions.
    struct Kernels: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kernels",
            abstract: "Benchmark ElderTensor's matmul against raw cblas_sgemm and time one transformer block.",
            discussion: "Example: elder-bench kernels --threads 1 --repetitions 15 --out reports")

        @Option(help: "OpenBLAS threads.") var threads = 1
        @Option(help: "Timed repetitions per measurement (median reported).") var repetitions = 11
        @Option(parsing: .upToNextOption, help: "Token counts T of the matmul shapes.") var tokens = [1, 16, 64, 512]
        @Option(help: "Folder for the Markdown and JSON report.") var out = "reports"

        func validate() throws {
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
            guard repetitions >= 3 else { throw ValidationError("--repetitions must be at least 3.") }
            guard !tokens.isEmpty, tokens.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--tokens must be positive.") }
        }

        func run() throws {
            BLAS.threadCount = threads
            let config = KernelBenchConfig.smolLM2
            let loadBefore = loadAverage()
            warmUp()
            var matmuls: [MatmulResult] = []
            for t in tokens {
                for shape in config.projections {
                    let r = benchMatmul(name: shape.name, t: t, n: shape.n, k: shape.k, repetitions: repetitions)
                    matmuls.append(r)
                    FileHandle.standardError.write(Data(String(format: "  %@ T=%d: ours %.1f raw %.1f GFLOP/s (%.1f%%)\n",
                        r.name, r.t, r.oursGflops, r.rawGflops, 100 * r.ratio).utf8))
                }
            }
            var blocks: [BlockResult] = []
            for t in [16, 64] { blocks.append(benchBlock(config, t: t, repetitions: repetitions)) }
            let decode = benchDecode(config, cached: 511, repetitions: repetitions)
            let report = KernelBenchReport(
                date: ISO8601DateFormatter().string(from: Date()), cores: ProcessInfo.processInfo.activeProcessorCount,
                openBLASThreads: BLAS.threadCount, openBLASConfig: String(cString: openblas_get_config()),
                loadAverageBefore: loadBefore, loadAverageAfter: loadAverage(), repetitions: repetitions, matmuls: matmuls, blocks: blocks,
                decode: decode, minimumRatio: matmuls.map(\.ratio).min() ?? 0)
            let markdown = report.markdown()
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try markdown.write(toFile: "\(out)/bench-kernels.md", atomically: true, encoding: .utf8)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: "\(out)/bench-kernels.json"))
            print(markdown)
        }
    }
}

/// The model dimensions the benchmark uses (SmolLM2-135M).
struct KernelBenchConfig {
    var d: Int, ffn: Int, heads: Int, kvHeads: Int, headDim: Int, vocab: Int
    static let smolLM2 = KernelBenchConfig(d: 576, ffn: 1536, heads: 9, kvHeads: 3, headDim: 64, vocab: 49_152)
    /// [T,K] x [N,K]ᵀ for each projection (weights stored [out, in] as in GGUF).
    var projections: [(name: String, n: Int, k: Int)] {
        [("q/o proj", d, d), ("k/v proj", kvHeads * headDim, d), ("gate/up", ffn, d), ("down", d, ffn), ("lm head", vocab, d)]
    }
}

struct MatmulResult: Codable {
    var name: String, t: Int, n: Int, k: Int
    var oursSeconds: Double, rawSeconds: Double, allocatingSeconds: Double
    var oursGflops: Double, rawGflops: Double, allocatingGflops: Double
    /// raw/ours: median over calls of raw time / ours time for calls made one right after the other.
    var ratio: Double
    var ratioOfMedians: Double, bestRatio: Double
    /// raw/allocating form, paired the same way.
    var allocatingRatio: Double
}

struct BlockResult: Codable {
    var t: Int
    var forwardMs: Double            // plain kernels, no tape
    var frozenForwardBackwardMs: Double   // tape, base weights frozen, gradient for the block input only
    var fullForwardBackwardMs: Double     // tape, every weight trainable
}

struct DecodeResult: Codable {
    var cachedTokens: Int, blockForwardMs: Double, attentionMs: Double
}

struct KernelBenchReport: Codable {
    var date: String, cores: Int, openBLASThreads: Int, openBLASConfig: String
    var loadAverageBefore: String, loadAverageAfter: String, repetitions: Int
    var matmuls: [MatmulResult], blocks: [BlockResult], decode: DecodeResult
    var minimumRatio: Double

    func markdown() -> String {
        var s = "# elder-bench kernels\n\n\(date) · \(cores) cores · OpenBLAS threads \(openBLASThreads) · "
        s += "median of \(repetitions) interleaved repetitions\n\n"
        s += "\(openBLASConfig) · load average (1/5/15 min) before \(loadAverageBefore), after \(loadAverageAfter)\n\n"
        s += "## matmul [T,K] x [N,K]ᵀ: ours (`matmul(into:)`, preallocated) vs raw `cblas_sgemm` on the same buffers\n\n"
        s += "| shape | T | N×K | ours GFLOP/s | raw GFLOP/s | ours/raw | ratio of medians | allocating GFLOP/s | alloc/raw |\n"
        s += "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        for m in matmuls {
            s += String(format: "| %@ | %d | %d×%d | %.1f | %.1f | %.1f%% | %.1f%% | %.1f | %.1f%% |\n", m.name, m.t, m.n, m.k,
                        m.oursGflops, m.rawGflops, 100 * m.ratio, 100 * m.ratioOfMedians,
                        m.allocatingGflops, 100 * m.allocatingRatio)
        }
        s += String(format: "\nLowest ours/raw over all shapes: %.1f%% (target ≥ 90%%); allocating form: %.1f%%. ",
                    100 * minimumRatio, 100 * (matmuls.map(\.allocatingRatio).min() ?? 0))
        s += "GFLOP/s are medians of the repetitions. ours/raw is the median over all calls of raw time / ours time "
        s += "for calls made one right after the other (robust to other processes' bursts); the ratio of the medians "
        s += "is shown beside it. Up to 4 rows our wrapper runs x·Wᵀ as direct FMA dot loops (sgemm packs W on every "
        s += "call), so T = 1 is compared with the slower raw sgemm.\n\n"
        s += "## One transformer block (d 576, FFN 1536, 9/3 heads of 64)\n\n"
        s += "| T | forward (kernels) ms | fwd+bwd, frozen base ms | fwd+bwd, all trainable ms |\n| ---: | ---: | ---: | ---: |\n"
        for b in blocks {
            s += String(format: "| %d | %.2f | %.2f | %.2f |\n", b.t, b.forwardMs, b.frozenForwardBackwardMs, b.fullForwardBackwardMs)
        }
        s += String(format: "\nDecode, 1 token with %d cached: block forward %.3f ms, attention %.3f ms.\n",
                    decode.cachedTokens, decode.blockForwardMs, decode.attentionMs)
        return s
    }
}

/// Half a second of large products first, so clocks and caches are settled before the first timed shape.
func warmUp() {
    var seed: UInt64 = 1
    let a = randomTensor([256, 576], seed: &seed), b = randomTensor([1536, 576], seed: &seed)
    var c = Tensor(zeros: [256, 1536])
    let start = nowSeconds()
    while nowSeconds() - start < 0.5 { matmul(into: &c, a, b, transposeB: true) }
}

/// The first three fields of /proc/loadavg ("?" where unavailable): how busy the shared machine was.
func nowSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }


func randomTensor(_ shape: [Int], scale: Float = 0.05, seed: inout UInt64) -> Tensor {
    let n = shape.reduce(1, *)
    var values = [Float](repeating: 0, count: n)
    for i in 0..<n {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        values[i] = (Float(seed >> 40) / Float(1 << 24) * 2 - 1) * scale
    }
    return Tensor(shape: shape, scalars: values)
}

/// Times ours, raw and allocating matmul of [T,K] x [N,K]ᵀ, interleaved (rotating order) per repetition.
func benchMatmul(name: String, t: Int, n: Int, k: Int, repetitions: Int) -> MatmulResult {
    var seed: UInt64 = 42
    let x = randomTensor([t, k], seed: &seed), w = randomTensor([n, k], seed: &seed)
    var c = Tensor(zeros: [t, n])
    let flops = 2.0 * Double(t) * Double(n) * Double(k)
    let inner = max(1, Int(1e9 / flops))   // samples of ~1 GFLOP: many call pairs per shape, scheduler slices average out
    // One call of each form, timed alone; the forms alternate call by call (rotating order), so a burst of
    // load from other processes lands on all three alike.
    func ours() -> Double {
        let start = nowSeconds()
        matmul(into: &c, x, w, transposeB: true)
        return nowSeconds() - start
    }
    func raw() -> Double {
        x.scalars.withUnsafeBufferPointer { xp in
            w.scalars.withUnsafeBufferPointer { wp in
                c.scalars.withUnsafeMutableBufferPointer { cp in
                    let start = nowSeconds()
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(n), Int32(k), 1,
                                xp.baseAddress, Int32(k), wp.baseAddress, Int32(k), 0, cp.baseAddress, Int32(n))
                    return nowSeconds() - start
                }
            }
        }
    }
    var sink: Float = 0
    func allocating() -> Double {
        let start = nowSeconds()
        let y = matmul(x, w, transposeB: true)
        let elapsed = nowSeconds() - start
        sink += y.scalars[0]
        return elapsed
    }
    for _ in 0..<2 { _ = ours(); _ = raw(); _ = allocating() }   // warm-up
    var o: [Double] = [], r: [Double] = [], a: [Double] = [], pairs: [Double] = [], allocPairs: [Double] = []
    for rep in 0..<repetitions {
        var so = 0.0, sr = 0.0, sa = 0.0
        for i in 0..<inner {
            var (to, tr, ta) = (0.0, 0.0, 0.0)
            switch (rep + i) % 3 {
            case 0: to = ours(); tr = raw(); ta = allocating()
            case 1: tr = raw(); ta = allocating(); to = ours()
            default: ta = allocating(); to = ours(); tr = raw()
            }
            so += to; sr += tr; sa += ta
            pairs.append(tr / to); allocPairs.append(tr / ta)
        }
        o.append(so / Double(inner)); r.append(sr / Double(inner)); a.append(sa / Double(inner))
    }
    if sink.isNaN { FileHandle.standardError.write(Data("NaN in benchmark output\n".utf8)) }
    let (mo, mr, ma) = (medianOrZero(o), medianOrZero(r), medianOrZero(a))
    let paired = medianOrZero(pairs)   // raw/ours of calls made one right after the other: robust to bursts of load
    let best = r.min()! / o.min()!                   // noise only ever adds time: best against best
    return MatmulResult(name: name, t: t, n: n, k: k, oursSeconds: mo, rawSeconds: mr, allocatingSeconds: ma,
                        oursGflops: flops / mo / 1e9, rawGflops: flops / mr / 1e9, allocatingGflops: flops / ma / 1e9,
                        ratio: paired, ratioOfMedians: mr / mo, bestRatio: best, allocatingRatio: medianOrZero(allocPairs))
}

/// Random weights of one LLaMA block, stored [out, in].
struct BlockWeights {
    var norm1, wq, wk, wv, wo, norm2, gate, up, down: Tensor
    init(_ c: KernelBenchConfig) {
        var seed: UInt64 = 7
        norm1 = Tensor(repeating: 1, shape: [c.d]); norm2 = norm1
        wq = randomTensor([c.heads * c.headDim, c.d], seed: &seed)
        wk = randomTensor([c.kvHeads * c.headDim, c.d], seed: &seed)
        wv = randomTensor([c.kvHeads * c.headDim, c.d], seed: &seed)
        wo = randomTensor([c.d, c.heads * c.headDim], seed: &seed)
        gate = randomTensor([c.ffn, c.d], seed: &seed); up = randomTensor([c.ffn, c.d], seed: &seed)
        down = randomTensor([c.d, c.ffn], seed: &seed)
    }
    var all: [Tensor] { [norm1, wq, wk, wv, wo, norm2, gate, up, down] }
}

/// One block on the tape: x + attn(norm(x)), then + swiglu FFN(norm(.)).
func tapeBlock(_ tape: Tape, _ x: Variable, _ p: [Variable], _ c: KernelBenchConfig, positions: [Int]) -> Variable {
    let h = tape.rmsNorm(x, weight: p[0], eps: 1e-5)
    let q = tape.rope(tape.matmul(h, p[1], transposeB: true), heads: c.heads, headDim: c.headDim, positions: positions, base: 100_000, style: .halfSplit)
    let k = tape.rope(tape.matmul(h, p[2], transposeB: true), heads: c.kvHeads, headDim: c.headDim, positions: positions, base: 100_000, style: .halfSplit)
    let v = tape.matmul(h, p[3], transposeB: true)
    let a = tape.attention(q: q, k: k, v: v, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, queryOffset: 0)
    let x2 = tape.add(x, tape.matmul(a, p[4], transposeB: true))
    let h2 = tape.rmsNorm(x2, weight: p[5], eps: 1e-5)
    let s = tape.swiglu(gate: tape.matmul(h2, p[6], transposeB: true), up: tape.matmul(h2, p[7], transposeB: true))
    return tape.add(x2, tape.matmul(s, p[8], transposeB: true))
}

/// Preallocated key/value rows [capacity, Hkv*hd] that each step writes into in place.
struct BenchKVCache {
    var k: Tensor, v: Tensor
}

/// The same block with the plain forward kernels. With a cache, this step's keys and values are written
/// at rows positions[0]... and attention reads the cache (queryOffset = positions[0]).
func kernelBlock(_ x: Tensor, _ w: BlockWeights, _ c: KernelBenchConfig, positions: [Int],
                 cache: inout BenchKVCache?) -> Tensor {
    let h = rmsNorm(x, weight: w.norm1, eps: 1e-5)
    let q = rope(matmul(h, w.wq, transposeB: true), heads: c.heads, headDim: c.headDim, positions: positions, base: 100_000, style: .halfSplit)
    var k = rope(matmul(h, w.wk, transposeB: true), heads: c.kvHeads, headDim: c.headDim, positions: positions, base: 100_000, style: .halfSplit)
    var v = matmul(h, w.wv, transposeB: true)
    if cache != nil {
        cache!.k.replaceRows(startingAt: positions[0], with: k)
        cache!.v.replaceRows(startingAt: positions[0], with: v)
        k = cache!.k; v = cache!.v
    }
    let a = attention(q: q, k: k, v: v, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, queryOffset: positions[0])
    let x2 = add(x, matmul(a, w.wo, transposeB: true))
    let h2 = rmsNorm(x2, weight: w.norm2, eps: 1e-5)
    return add(x2, matmul(swiglu(gate: matmul(h2, w.gate, transposeB: true), up: matmul(h2, w.up, transposeB: true)), w.down, transposeB: true))
}

func benchBlock(_ c: KernelBenchConfig, t: Int, repetitions: Int) -> BlockResult {
    let w = BlockWeights(c)
    var seed: UInt64 = 9
    let x = randomTensor([t, c.d], scale: 1, seed: &seed)
    let positions = Array(0..<t)
    func forward() -> Double {
        let start = nowSeconds()
        var noCache: BenchKVCache? = nil
        _ = kernelBlock(x, w, c, positions: positions, cache: &noCache)
        return nowSeconds() - start
    }
    func forwardBackward(trainable: Bool) -> Double {
        let start = nowSeconds()
        let tape = Tape()
        let xv = tape.parameter(x)
        let p = w.all.map { trainable ? tape.parameter($0) : tape.constant($0) }
        let y = tapeBlock(tape, xv, p, c, positions: positions)
        tape.backward(y, seed: x)
        return nowSeconds() - start
    }
    _ = forward(); _ = forwardBackward(trainable: false); _ = forwardBackward(trainable: true)
    var f: [Double] = [], fr: [Double] = [], fu: [Double] = []
    for _ in 0..<repetitions {
        f.append(forward()); fr.append(forwardBackward(trainable: false)); fu.append(forwardBackward(trainable: true))
    }
    return BlockResult(t: t, forwardMs: 1000 * medianOrZero(f), frozenForwardBackwardMs: 1000 * medianOrZero(fr),
                       fullForwardBackwardMs: 1000 * medianOrZero(fu))
}

/// One decode step of a block (1 query row, `cached` rows of K/V cache) and its attention alone.
func benchDecode(_ c: KernelBenchConfig, cached: Int, repetitions: Int) -> DecodeResult {
    let w = BlockWeights(c)
    var seed: UInt64 = 11
    let x = randomTensor([1, c.d], scale: 1, seed: &seed)
    var cache: BenchKVCache? = BenchKVCache(k: randomTensor([cached + 1, c.kvHeads * c.headDim], seed: &seed),
                                  v: randomTensor([cached + 1, c.kvHeads * c.headDim], seed: &seed))
    let q = randomTensor([1, c.heads * c.headDim], seed: &seed)
    let kFull = randomTensor([cached + 1, c.kvHeads * c.headDim], seed: &seed), vFull = kFull
    let inner = 20
    func block() -> Double {
        let start = nowSeconds()
        for _ in 0..<inner { _ = kernelBlock(x, w, c, positions: [cached], cache: &cache) }
        return (nowSeconds() - start) / Double(inner)
    }
    func attn() -> Double {
        let start = nowSeconds()
        for _ in 0..<inner {
            _ = attention(q: q, k: kFull, v: vFull, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, queryOffset: cached)
        }
        return (nowSeconds() - start) / Double(inner)
    }
    _ = block(); _ = attn()
    var b: [Double] = [], a: [Double] = []
    for _ in 0..<repetitions { b.append(block()); a.append(attn()) }
    return DecodeResult(cachedTokens: cached, blockForwardMs: 1000 * medianOrZero(b), attentionMs: 1000 * medianOrZero(a))
}
