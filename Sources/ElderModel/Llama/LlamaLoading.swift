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

/// The tensor names of one checkpoint layout, declared once.
public struct LlamaWeightNames: Sendable {
    public let embedding: String
    public let finalNorm: String
    public let head: String
    public let block: @Sendable (Int) -> (attentionNorm: String, q: String, k: String, v: String, o: String,
                                          mlpNorm: String, gate: String, up: String, down: String)

    /// llama.cpp's GGUF names (`blk.N.attn_q.weight`, ...).
    public static let gguf = LlamaWeightNames(embedding: "token_embd.weight", finalNorm: "output_norm.weight",
                                              head: "output.weight") { i in
        let p = "blk.\(i)."
        return (p + "attn_norm.weight", p + "attn_q.weight", p + "attn_k.weight", p + "attn_v.weight",
                p + "attn_output.weight", p + "ffn_norm.weight", p + "ffn_gate.weight", p + "ffn_up.weight",
                p + "ffn_down.weight")
    }

    /// Hugging Face transformers' names (`model.layers.N.self_attn.q_proj.weight`, ...).
    public static let huggingFace = LlamaWeightNames(embedding: "model.embed_tokens.weight", finalNorm: "model.norm.weight",
                                                     head: "lm_head.weight") { i in
        let p = "model.layers.\(i)."
        return (p + "input_layernorm.weight", p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight",
                p + "self_attn.v_proj.weight", p + "self_attn.o_proj.weight", p + "post_attention_layernorm.weight",
                p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight", p + "mlp.down_proj.weight")
    }
}

extension LlamaModel {
    /// Loads every weight of `configuration` from `source`. Fails listing all missing tensors, or the
    /// first tensor whose shape is wrong, before dequantizing anything.
    public init(configuration c: LlamaConfiguration, source: TensorSource, names: LlamaWeightNames) throws {
        let D = c.hiddenSize, F = c.intermediateSize, V = c.vocabularySize
        var expected: [(String, [Int])] = [(names.embedding, [V, D]), (names.finalNorm, [D])]
        if !c.tiedEmbeddings { expected.append((names.head, [V, D])) }
        for i in 0..<c.layerCount {
            let n = names.block(i)
            expected += [(n.attentionNorm, [D]), (n.q, [c.queryWidth, D]), (n.k, [c.kvWidth, D]), (n.v, [c.kvWidth, D]),
                         (n.o, [D, c.queryWidth]), (n.mlpNorm, [D]), (n.gate, [F, D]), (n.up, [F, D]), (n.down, [D, F])]
        }
        let missing = expected.map(\.0).filter { !source.contains($0) }
        guard missing.isEmpty else { throw CheckpointError.missingTensors(path: source.sourcePath, names: missing) }
        for (name, shape) in expected where source.shape(of: name) != shape {
            throw CheckpointError.wrongShape(path: source.sourcePath, tensor: name, expected: shape, found: source.shape(of: name) ?? [])
        }
        // Dequantize in parallel: each tensor is independent and the file is memory-mapped.
        let loaded = try Self.loadAll(expected.map(\.0), from: source)
        let embedding = loaded[names.embedding]!
        let blocks = (0..<c.layerCount).map { i -> LlamaBlock in
            let n = names.block(i)
            return LlamaBlock(attentionNorm: loaded[n.attentionNorm]!,
                              attention: LlamaAttention(wq: loaded[n.q]!, wk: loaded[n.k]!, wv: loaded[n.v]!, wo: loaded[n.o]!,
                                                        configuration: c),
                              mlpNorm: loaded[n.mlpNorm]!,
                              mlp: LlamaMLP(gate: loaded[n.gate]!, up: loaded[n.up]!, down: loaded[n.down]!))
        }
        self.init(configuration: c, embedding: embedding, blocks: blocks, finalNorm: loaded[names.finalNorm]!,
                  head: c.tiedEmbeddings ? embedding : loaded[names.head]!)
        if let gguf = source as? GGUFFile { try attachPackedWeights(gguf, names: names) }
    }

    /// Keeps the quantized blocks of every projection and the head for decoding (see PackedMatrix).
    mutating func attachPackedWeights(_ gguf: GGUFFile, names: LlamaWeightNames) throws {
        packedHead = try gguf.packedMatrix(configuration.tiedEmbeddings ? names.embedding : names.head)
        for i in blocks.indices {
            let n = names.block(i)
            blocks[i].attention.packedQ = try gguf.packedMatrix(n.q)
            blocks[i].attention.packedK = try gguf.packedMatrix(n.k)
            blocks[i].attention.packedV = try gguf.packedMatrix(n.v)
            blocks[i].attention.packedO = try gguf.packedMatrix(n.o)
            blocks[i].mlp.packedGate = try gguf.packedMatrix(n.gate)
            blocks[i].mlp.packedUp = try gguf.packedMatrix(n.up)
            blocks[i].mlp.packedDown = try gguf.packedMatrix(n.down)
        }
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
