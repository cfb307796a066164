import ElderModel
import ElderTensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU seconds of the whole process (every thread, OpenBLAS's included).
func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// The training loop the baselines share with the mixture editor's shape: the frozen pass once, then Adam
/// steps over the adapted stack with the loss on target tokens only, early stopping when every target
/// token is the argmax. Each method supplies its `down_proj` adapter built from tape variables.
struct BaselineTrainer {
    let model: LlamaModel
    let configuration: EditorConfiguration

    struct Result {
        var iterations = 0
        var initialLoss: Float = .nan
        var finalLoss: Float = .nan
        var converged = false
        var touched: Set<String> = []
        var frozenSeconds = 0.0
        var stepsSeconds = 0.0
    }

    /// Trains `parameters[trainable]` in place. `makeAdapter(tape, variable)` returns the adapter of one
    /// step; `variable(name)` hands out each parameter once per step as a trainable tape variable.
    func train(sequences: [TrainingSequence], parameters: inout [String: Tensor], trainable: Set<String>,
               makeAdapter: (Tape, @escaping (String) -> Variable) -> DownProjAdapter) -> Result {
        var result = Result()
        let t0 = cpuSeconds()
        let frozen = FrozenPass(model: model, configuration: configuration)
        let prepared = sequences.map { frozen.prepare($0) }
        let t1 = cpuSeconds()
        result.frozenSeconds = t1 - t0
        let stack = AdaptedStack(model: model, adaptedLayers: Set(configuration.layers))
        var adam = Adam(learningRate: configuration.learningRate)
        for step in 0...configuration.iterations {
            let tape = Tape()
            var variables: [String: Variable] = [:]
            let current = parameters
            let variable: (String) -> Variable = { name in
                if let v = variables[name] { return v }
                let v = trainable.contains(name) ? tape.parameter(current[name]!) : tape.constant(current[name]!)
                variables[name] = v
                return v
            }
            let (ce, logits, targets) = stack.loss(tape: tape, batch: prepared, adapter: makeAdapter(tape, variable))
            result.finalLoss = ce.value.scalars[0]
            if step == 0 { result.initialLoss = result.finalLoss }
            result.converged = allArgmaxMatch(logits, targets)
            if step == configuration.iterations || (configuration.earlyStop && result.converged) { break }
            tape.backward(ce)
            var gradients: [String: Tensor] = [:]
            for (name, v) in variables where v.requiresGrad { if let g = v.grad { gradients[name] = g } }
            adam.update(&parameters, gradients: gradients)
            result.touched.formUnion(gradients.keys)
            result.iterations += 1
        }
        result.stepsSeconds = cpuSeconds() - t1
        return result
    }
}
