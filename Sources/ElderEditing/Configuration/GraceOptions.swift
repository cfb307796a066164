/// GRACE's own knobs (Hartvigsen et al., "Aging with GRACE", NeurIPS 2023).
public struct GraceOptions: Codable, Sendable, Equatable {
    /// ε_init: the deferral radius a new key starts with (Euclidean, in the units of the layer's
    /// `down_proj` input). GRACE widens it to cover same-answer inputs and halves it between conflicting keys.
    public var initialRadius: Float
    /// How a new key's value starts: the layer's own output at that token ("warm") or U(0, 1) ("cold").
    public var warmValues: Bool

    public init(initialRadius: Float, warmValues: Bool = true) {
        self.initialRadius = initialRadius
        self.warmValues = warmValues
    }
}
