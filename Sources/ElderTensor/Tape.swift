// Reverse-mode automatic differentiation over the kernels of this module.

/// A node of the reverse-mode tape: a value and, if it requires one, its gradient.
///
/// Parameters and every result computed from a parameter require a gradient; constants (frozen
/// weights, inputs) and results computed only from constants do not, and never receive one.
public final class Variable {
    public var value: Tensor
    public var grad: Tensor?
    public let requiresGrad: Bool

    public init(_ value: Tensor, requiresGrad: Bool) {
        self.value = value
        self.requiresGrad = requiresGrad
    }

    public var shape: [Int] { value.shape }

    /// The gradient buffer to add into (zeros if none yet), detached so the kernel owns it uniquely;
    /// nil when this variable needs no gradient. Hand it back with `restoreGrad`.
    func takeGrad() -> Tensor? {
        guard requiresGrad else { return nil }
        let g = grad ?? Tensor(zeros: value.shape)
        grad = nil
        return g
    }

    /// Gives back a buffer from `takeGrad` (adds when the same variable fed two inputs of one op).
    func restoreGrad(_ g: Tensor?) {
        guard let g else { return }
        if grad == nil { grad = g } else { addScaled(into: &grad!, g) }
    }
}

/// Records operations; `backward(loss)` runs them in reverse, skipping nodes that need no gradient.
///
/// An operation whose inputs all need no gradient records nothing, so frozen weights cost no backward work;
/// an operation with some frozen inputs computes gradients only for the others.
public final class Tape {
    private var records: [(output: Variable, backward: (Tensor) -> Void)] = []

    public init() {}

    /// Number of recorded operations (those that will run backward).
    public var recordCount: Int { records.count }

    /// A frozen value: never gets a gradient.
    public func constant(_ t: Tensor) -> Variable { Variable(t, requiresGrad: false) }

    /// A trainable value: gets a gradient from `backward`.
    public func parameter(_ t: Tensor) -> Variable { Variable(t, requiresGrad: true) }

    /// Wraps an op's result; records `backward(dout)` only if some input requires a gradient.
    func record(_ value: Tensor, _ inputs: [Variable], backward: @escaping (Tensor) -> Void) -> Variable {
        let needs = inputs.contains { $0.requiresGrad }
        let out = Variable(value, requiresGrad: needs)
        if needs { records.append((out, backward)) }
        return out
    }

    /// Runs the recorded operations in reverse from `output`, seeded with `seed` (ones by default:
    /// the gradient of a scalar loss). Gradients add into `grad` of every variable that requires one.
    public func backward(_ output: Variable, seed: Tensor? = nil) {
        guard output.requiresGrad else { return }
        let s = seed ?? Tensor(repeating: 1, shape: output.value.shape)
        precondition(s.shape == output.value.shape, "backward: seed \(s.shape) vs output \(output.value.shape)")
        output.restoreGrad(s)
        for (out, back) in records.reversed() {
            guard let g = out.grad else { continue }   // nothing flows through this node
            back(g)
        }
    }

    /// Forgets all recorded operations (variables keep their values and gradients).
    public func reset() { records.removeAll(keepingCapacity: true) }
}
