import ElderTensor
import Foundation

/// Where named float32 tensors come from: a GGUF file or a safetensors checkpoint.
public protocol TensorSource {
    var sourcePath: String { get }
    func contains(_ name: String) -> Bool
    /// The tensor's row-major shape, without reading its data.
    func shape(of name: String) -> [Int]?
    func tensor(_ name: String) throws -> Tensor
}

extension GGUFFile: TensorSource {
    public var sourcePath: String { path }
    public func contains(_ name: String) -> Bool { info(name) != nil }
    public func shape(of name: String) -> [Int]? { info(name)?.shape }
}

/// The tensor names of one block in one checkpoint layout. The last four exist only in blocks whose
/// description asks for them (q/k norms, post-norms).
public struct BlockWeightNames: Sendable {
    public let attentionNorm, q, k, v, o, mlpNorm, gate, up, down: String
    public let queryNorm, keyNorm, postAttentionNorm, postMLPNorm: String?
}

/// The tensor names of one checkpoint layout, declared once.
public struct LlamaWeightNames: Sendable {
    public let embedding: String
    public let finalNorm: String
    public let head: String
    public let block: @Sendable (Int) -> BlockWeightNames

    /// llama.cpp's GGUF names (`blk.N.attn_q.weight`, ...), Gemma's extra norms included.
    public static let gguf = LlamaWeightNames(embedding: "token_embd.weight", finalNorm: "output_norm.weight",
                                              head: "output.weight") { i in
        let p = "blk.\(i)."
        return BlockWeightNames(attentionNorm: p + "attn_norm.weight", q: p + "attn_q.weight", k: p + "attn_k.weight",
                                v: p + "attn_v.weight", o: p + "attn_output.weight", mlpNorm: p + "ffn_norm.weight",
                                gate: p + "ffn_gate.weight", up: p + "ffn_up.weight", down: p + "ffn_down.weight",
                                queryNorm: p + "attn_q_norm.weight", keyNorm: p + "attn_k_norm.weight",
                                postAttentionNorm: p + "post_attention_norm.weight", postMLPNorm: p + "post_ffw_norm.weight")
    }

    /// Hugging Face transformers' names of the LLaMA family (`model.layers.N.self_attn.q_proj.weight`, ...).
    public static let huggingFace = LlamaWeightNames(embedding: "model.embed_tokens.weight", finalNorm: "model.norm.weight",
                                                     head: "lm_head.weight") { i in
        let p = "model.layers.\(i)."
        return BlockWeightNames(attentionNorm: p + "input_layernorm.weight", q: p + "self_attn.q_proj.weight",
                                k: p + "self_attn.k_proj.weight", v: p + "self_attn.v_proj.weight",
                                o: p + "self_attn.o_proj.weight", mlpNorm: p + "post_attention_layernorm.weight",
                                gate: p + "mlp.gate_proj.weight", up: p + "mlp.up_proj.weight", down: p + "mlp.down_proj.weight",
                                queryNorm: nil, keyNorm: nil, postAttentionNorm: nil, postMLPNorm: nil)
    }
}

extension LlamaModel {
    /// Loads every weight of `configuration` from `source`. Fails listing all missing tensors, or the
    /// first tensor whose shape is wrong, before dequantizing anything. A GGUF matrix in a block format
    /// the decode kernels read (`QuantizedFormat`) is read in place and dequantized when needed, as
    /// `floatWeights` says; every other tensor is float32 from the start.
    public init(configuration c: LlamaConfiguration, source: TensorSource, names: LlamaWeightNames,
                floatWeights: FloatWeights = .keptAfterFirstUse) throws {
        let D = c.hiddenSize, F = c.intermediateSize, V = c.vocabularySize, hd = c.headDimension
        var expected: [(String, [Int])] = [(names.embedding, [V, D]), (names.finalNorm, [D])]
        if !c.tiedEmbeddings { expected.append((names.head, [V, D])) }
        func required(_ name: String?, _ what: String) throws -> String {
            guard let name else {
                throw CheckpointError.invalid(path: source.sourcePath, reason: "this checkpoint layout has no \(what) tensors")
            }
            return name
        }
        for i in 0..<c.layerCount {
            let n = names.block(i)
            expected += [(n.attentionNorm, [D]), (n.q, [c.queryWidth, D]), (n.k, [c.kvWidth, D]), (n.v, [c.kvWidth, D]),
                         (n.o, [D, c.queryWidth]), (n.mlpNorm, [D]), (n.gate, [F, D]), (n.up, [F, D]), (n.down, [D, F])]
            if c.block.queryKeyNorm {
                expected += [(try required(n.queryNorm, "query norm"), [hd]), (try required(n.keyNorm, "key norm"), [hd])]
            }
            if c.block.postNorms {
                expected += [(try required(n.postAttentionNorm, "post-attention norm"), [D]),
                             (try required(n.postMLPNorm, "post-FFN norm"), [D])]
            }
        }
        let missing = expected.map(\.0).filter { !source.contains($0) }
        guard missing.isEmpty else { throw CheckpointError.missingTensors(path: source.sourcePath, names: missing) }
        for (name, shape) in expected where source.shape(of: name) != shape {
            throw CheckpointError.wrongShape(path: source.sourcePath, tensor: name, expected: shape, found: source.shape(of: name) ?? [])
        }
        // Matrices read in place; the rest dequantized in parallel (independent tensors, memory-mapped file).
        var packed: [String: PackedMatrix] = [:]
        if let gguf = source as? GGUFFile {
            var matrices = [names.embedding] + (c.tiedEmbeddings ? [] : [names.head])
            for i in 0..<c.layerCount {
                let n = names.block(i)
                matrices += [n.q, n.k, n.v, n.o, n.gate, n.up, n.down]
            }
            for name in matrices { packed[name] = try gguf.packedMatrix(name) }
        }
        let loaded = try Self.loadAll(expected.map(\.0).filter { packed[$0] == nil }, from: source)
        func weight(_ name: String) -> Weight {
            if let matrix = packed[name] { return Weight(packed: matrix, float: nil, policy: floatWeights) }
            return Weight(loaded[name]!)
        }
        let embedding = weight(names.embedding)
        let blocks = (0..<c.layerCount).map { i -> LlamaBlock in
            let n = names.block(i)
            let qk = c.block.queryKeyNorm, post = c.block.postNorms
            return LlamaBlock(attentionNorm: loaded[n.attentionNorm]!,
                              attention: LlamaAttention(query: weight(n.q), key: weight(n.k), value: weight(n.v), output: weight(n.o),
                                                        configuration: c, layer: i,
                                                        queryNorm: qk ? n.queryNorm.flatMap { loaded[$0] } : nil,
                                                        keyNorm: qk ? n.keyNorm.flatMap { loaded[$0] } : nil),
                              mlpNorm: loaded[n.mlpNorm]!,
                              mlp: LlamaMLP(gate: weight(n.gate), up: weight(n.up), down: weight(n.down), kind: c.block.feedForward),
                              postAttentionNorm: post ? n.postAttentionNorm.flatMap { loaded[$0] } : nil,
                              postMLPNorm: post ? n.postMLPNorm.flatMap { loaded[$0] } : nil)
        }
        self.init(configuration: c, embedding: embedding, blocks: blocks, finalNorm: loaded[names.finalNorm]!,
                  head: c.tiedEmbeddings ? embedding : weight(names.head))
    }

    private static func loadAll(_ names: [String], from source: TensorSource) throws -> [String: Tensor] {
        final class Box: @unchecked Sendable {
            var tensors: [Tensor?]
            var error: Error?
            let lock = NSLock()
            init(_ n: Int) { tensors = Array(repeating: nil, count: n) }
        }
        let box = Box(names.count)
        nonisolated(unsafe) let source = source
        DispatchQueue.concurrentPerform(iterations: names.count) { i in
            do {
                let t = try source.tensor(names[i])
                box.lock.lock(); box.tensors[i] = t; box.lock.unlock()
            } catch {
                box.lock.lock(); box.error = box.error ?? error; box.lock.unlock()
            }
        }
        if let error = box.error { throw error }
        var out: [String: Tensor] = [:]
        for (n, t) in zip(names, box.tensors) { out[n] = t! }
        return out
    }
}
