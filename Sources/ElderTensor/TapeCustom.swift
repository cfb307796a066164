// The extension point for operations written outside this module (the mixture of LoRAs, the routers):
// they compute their own forward and backward and let the tape order the backward pass.

extension Tape {
    /// Records an operation computed elsewhere: `value` came from `inputs`; `backward(dout)` must add the
    /// input gradients with `Variable.accumulateGradient`. Nothing is recorded if no input needs a gradient.
    public func custom(_ value: Tensor, inputs: [Variable], backward: @escaping (Tensor) -> Void) -> Variable {
        record(value, inputs, backward: backward)
    }
}

extension Variable {
    /// Adds `g` into this variable's gradient; ignored when it needs none.
    public func accumulateGradient(_ g: Tensor) {
        guard requiresGrad else { return }
        precondition(g.shape == value.shape, "accumulateGradient: \(g.shape) vs \(value.shape)")
        restoreGrad(g)
    }
}
