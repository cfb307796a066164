/// A named float32 tensor's content: row-major values and their shape. ElderStore gives names no
/// meaning beyond sorting them; the workspace decides what the tensors are.
public struct StoredTensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not match \(values.count) values")
        self.shape = shape
        self.values = values
    }

    public static func zeros(_ shape: [Int]) -> StoredTensor {
        StoredTensor(shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { values.count }
}

/// An adapter state: the adapter tensors (LoRA factors) and the router tensors, both keyed by name.
/// Names must be unique across both groups.
public struct StoredState: Sendable, Equatable {
    public var tensors: [String: StoredTensor]
    public var routers: [String: StoredTensor]

    public init(tensors: [String: StoredTensor] = [:], routers: [String: StoredTensor] = [:]) {
        self.tensors = tensors
        self.routers = routers
    }

    /// SHA-256 of the state in the fixed order of FORMAT.md ("State hash"), as 64 hex digits.
    public var sha256: String { StateHash.compute(self) }

    /// The tensor called `name` in either group.
    public subscript(name: String) -> StoredTensor? { tensors[name] ?? routers[name] }
}
