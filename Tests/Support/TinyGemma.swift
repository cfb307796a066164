import ElderModel
import ElderTensor
import Foundation

/// A tiny random Gemma 3 checkpoint written as a GGUF file (architecture `gemma3`, F32 tensors, a small
/// SentencePiece vocabulary), and a naive float64 forward pass written from Gemma 3's definition, for tests
/// that must not need the real model.
public struct TinyGemma {
    public static let layers = 4, hidden = 16, ffn = 24, heads = 2, kvHeads = 1, headDim = 8, window = 3
    /// Blocks 1 and 3 are global (every 2nd), 0 and 2 local with a 3-position window.
    public static let globalEvery = 2
    public static let globalBase: Double = 1_000_000, localBase: Double = 10_000
    public static let eps: Double = 1e-6

    /// The vocabulary: control tokens, 256 byte tokens, a user-defined "\n\n", then pieces with scores.
    public static let pieces: [(String, Float)] = [("▁", -1), ("a", -2), ("b", -2), ("▁a", -3), ("ab", -4), ("▁ab", -5),
                                                   ("ba", -6), ("▁b", -7), ("abab", -8), ("é", -9)]
    public static var vocabulary: (tokens: [String], scores: [Float], types: [Int32]) {
        var tokens = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
        var types: [Int32] = [3, 3, 3, 2, 3, 3]
        tokens += (0..<256).map { String(format: "<0x%02X>", $0) }
        types += Array(repeating: 6, count: 256)
        tokens.append("\n\n"); types.append(4)
        var scores = [Float](repeating: 0, count: tokens.count)
        for (p, s) in pieces { tokens.append(p); types.append(1); scores.append(s) }
        return (tokens, scores, types)
    }

    public let weights: [String: Tensor]   // GGUF names

    public static func make(seed: UInt64 = 3) -> TinyGemma {
        var rng = SeededRandom(seed)
        func random(_ shape: [Int], scale: Float = 0.3) -> Tensor {
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.normal() * scale })
        }
        func norm(_ d: Int) -> Tensor { Tensor(shape: [d], scalars: (0..<d).map { _ in 1 + rng.normal() * 0.2 }) }
        let v = vocabulary.tokens.count, d = hidden
        var w: [String: Tensor] = ["token_embd.weight": random([v, d], scale: 0.5), "output_norm.weight": norm(d)]
        for i in 0..<layers {
            let p = "blk.\(i)."
            w[p + "attn_norm.weight"] = norm(d)
            w[p + "attn_q.weight"] = random([heads * headDim, d])
            w[p + "attn_k.weight"] = random([kvHeads * headDim, d])
            w[p + "attn_v.weight"] = random([kvHeads * headDim, d])
            w[p + "attn_output.weight"] = random([d, heads * headDim])
            w[p + "attn_q_norm.weight"] = norm(headDim)
            w[p + "attn_k_norm.weight"] = norm(headDim)
            w[p + "post_attention_norm.weight"] = norm(d)
            w[p + "ffn_norm.weight"] = norm(d)
            w[p + "ffn_gate.weight"] = random([ffn, d])
            w[p + "ffn_up.weight"] = random([ffn, d])
            w[p + "ffn_down.weight"] = random([d, ffn])
            w[p + "post_ffw_norm.weight"] = norm(d)
        }
        return TinyGemma(weights: w)
    }

    /// The checkpoint as a GGUF file; `extra` metadata is added (or replaces a key) last.
    public func writeGGUF(to path: String, extra: [(String, GGUFValue)] = []) throws {
        var w = GGUFWriter()
        var meta: [(String, GGUFValue)] = [
            ("general.architecture", .string("gemma3")),
            ("gemma3.context_length", .uint32(64)), ("gemma3.embedding_length", .uint32(UInt32(Self.hidden))),
            ("gemma3.block_count", .uint32(UInt32(Self.layers))), ("gemma3.feed_forward_length", .uint32(UInt32(Self.ffn))),
            ("gemma3.attention.head_count", .uint32(UInt32(Self.heads))), ("gemma3.attention.head_count_kv", .uint32(UInt32(Self.kvHeads))),
            ("gemma3.attention.key_length", .uint32(UInt32(Self.headDim))), ("gemma3.attention.value_length", .uint32(UInt32(Self.headDim))),
            ("gemma3.attention.layer_norm_rms_epsilon", .float32(Float(Self.eps))),
            ("gemma3.rope.freq_base", .float32(Float(Self.globalBase))),
            ("gemma3.attention.sliding_window", .uint32(UInt32(Self.window))),
            ("gemma3.attention.sliding_window_pattern", .uint32(UInt32(Self.globalEvery))),
            ("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.pre", .string("default")),
            ("tokenizer.ggml.tokens", .array(Self.vocabulary.tokens.map { .string($0) })),
            ("tokenizer.ggml.scores", .array(Self.vocabulary.scores.map { .float32($0) })),
            ("tokenizer.ggml.token_type", .array(Self.vocabulary.types.map { .int32($0) })),
            ("tokenizer.ggml.bos_token_id", .uint32(2)), ("tokenizer.ggml.eos_token_id", .uint32(1)),
            ("tokenizer.ggml.add_bos_token", .bool(true)), ("tokenizer.ggml.add_space_prefix", .bool(false)),
        ]
        for (k, v) in extra {
            meta.removeAll { $0.0 == k }
            meta.append((k, v))
        }
        for (k, v) in meta { w.metadata(k, v) }
        for name in weights.keys.sorted() { w.tensor(name, weights[name]!) }
        try w.data().write(to: URL(fileURLWithPath: path))
    }

    /// Last-position logits of `ids` by Gemma 3's definition, in float64, written out loop by loop.
    public func naiveLogits(_ ids: [Int]) -> [Double] {
        let d = Self.hidden, hd = Self.headDim, t = ids.count
        func w(_ n: String) -> [Double] { weights[n]!.scalars.map(Double.init) }
        func matvec(_ m: [Double], rows: Int, _ x: [Double]) -> [Double] {
            (0..<rows).map { r in (0..<x.count).reduce(0.0) { $0 + m[r * x.count + $1] * x[$1] } }
        }
        func rms(_ x: [Double], _ g: [Double]) -> [Double] {
            let r = 1 / (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + Self.eps).squareRoot()
            return zip(x, g).map { $0 * r * $1 }
        }
        func rope(_ x: [Double], pos: Int, base: Double) -> [Double] {   // pairs (i, i + hd/2)
            var out = x
            for i in 0..<hd / 2 {
                let theta = Double(pos) * pow(base, -Double(2 * i) / Double(hd))
                out[i] = x[i] * cos(theta) - x[i + hd / 2] * sin(theta)
                out[i + hd / 2] = x[i] * sin(theta) + x[i + hd / 2] * cos(theta)
            }
            return out
        }
        func gelu(_ x: Double) -> Double { 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))) }
        let embedding = w("token_embd.weight")
        var xs = ids.map { id in (0..<d).map { embedding[id * d + $0] * Double(d).squareRoot() } }
        for layer in 0..<Self.layers {
            let p = "blk.\(layer).", global = (layer + 1) % Self.globalEvery == 0
            let base = global ? Self.globalBase : Self.localBase
            let hs = xs.map { rms($0, w(p + "attn_norm.weight")) }
            var qs: [[[Double]]] = [], ks: [[Double]] = [], vs: [[Double]] = []
            for (pos, h) in hs.enumerated() {
                let q = matvec(w(p + "attn_q.weight"), rows: Self.heads * hd, h)
                qs.append((0..<Self.heads).map { rope(rms(Array(q[$0 * hd..<($0 + 1) * hd]), w(p + "attn_q_norm.weight")), pos: pos, base: base) })
                ks.append(rope(rms(matvec(w(p + "attn_k.weight"), rows: hd, h), w(p + "attn_k_norm.weight")), pos: pos, base: base))
                vs.append(matvec(w(p + "attn_v.weight"), rows: hd, h))
            }
            for i in 0..<t {
                var mixed: [Double] = []
                for head in 0..<Self.heads {
                    let visible = (0...i).filter { global || i - $0 < Self.window }
                    let scores = visible.map { j in zip(qs[i][head], ks[j]).reduce(0) { $0 + $1.0 * $1.1 } / Double(hd).squareRoot() }
                    let m = scores.max()!, e = scores.map { exp($0 - m) }, sum = e.reduce(0, +)
                    mixed += (0..<hd).map { c in zip(visible, e).reduce(0.0) { $0 + $1.1 / sum * vs[$1.0][c] } }
                }
                let a = rms(matvec(w(p + "attn_output.weight"), rows: d, mixed), w(p + "post_attention_norm.weight"))
                let h = zip(xs[i], a).map(+)
                let hn = rms(h, w(p + "ffn_norm.weight"))
                let g = matvec(w(p + "ffn_gate.weight"), rows: Self.ffn, hn), u = matvec(w(p + "ffn_up.weight"), rows: Self.ffn, hn)
                let f = rms(matvec(w(p + "ffn_down.weight"), rows: d, zip(g, u).map { gelu($0) * $1 }), w(p + "post_ffw_norm.weight"))
                xs[i] = zip(h, f).map(+)
            }
        }
        let last = rms(xs[t - 1], w("output_norm.weight"))
        return matvec(embedding, rows: Self.vocabulary.tokens.count, last)
    }
}
