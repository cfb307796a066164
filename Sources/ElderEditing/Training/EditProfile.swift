/// Where one edit's time went: the frozen pass (blocks below the adapter and the prefix, once per edit),
/// the training steps, and the memory update (keys, codebook) after training. Seconds of process CPU time
/// (user + system), which on a shared machine count the work and not the wait for a core.
public struct EditProfile: Sendable, Equatable, Codable {
    public var frozenPassSeconds: Double
    public var stepsSeconds: Double
    public var memorySeconds: Double

    public init(frozenPassSeconds: Double, stepsSeconds: Double, memorySeconds: Double) {
        self.frozenPassSeconds = frozenPassSeconds
        self.stepsSeconds = stepsSeconds
        self.memorySeconds = memorySeconds
    }
}

/// An editor that times the phases of its last edit.
public protocol ProfiledEditor: Editor {
    var lastProfile: EditProfile? { get }
}
