import ElderTensor

/// Activations captured while running the frozen blocks over one prompt: what an editor reads to
/// build keys (the SwiGLU input of a down projection) and to resume from a layer (the residual stream).
public struct ActivationTrace: Sendable {
    /// Residual stream [T, D] after block i, for each traced block.
    public var residuals: [Int: Tensor] = [:]
    /// SwiGLU activation v [T, F] entering block i's down projection, for each block asked for.
    public var downInputs: [Int: Tensor] = [:]
}

extension LlamaModel {
    /// Runs blocks 0..<`layers` over `ids` (positions 0...), keeping the residual stream after each
    /// block and the down-projection input of the blocks in `downInputsOf`.
    public func trace(_ ids: [Int], layers: Int, downInputsOf: Set<Int> = []) -> ActivationTrace {
        precondition(layers >= 0 && layers <= blocks.count, "trace: \(layers) layers of \(blocks.count)")
        var trace = ActivationTrace()
        var hooks: [Int: BlockHooks] = [:]
        for i in downInputsOf where i < layers {
            hooks[i] = BlockHooks(observeDownInput: { trace.downInputs[i] = $0 })
        }
        _ = run(embed(ids), layers: 0..<layers, positions: Array(0..<ids.count), hooks: hooks) { trace.residuals[$0] = $1 }
        return trace
    }

    /// `trace` of each prompt of a batch (prompts may differ in length).
    public func trace(batch: [[Int]], layers: Int, downInputsOf: Set<Int> = []) -> [ActivationTrace] {
        batch.map { trace($0, layers: layers, downInputsOf: downInputsOf) }
    }
}
