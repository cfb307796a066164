import ElderEval

/// The median as the bench tables print it: 0 for no values (ElderEval's `median`, where the arithmetic
/// lives, is nil then).
public func medianOrZero(_ xs: [Double]) -> Double {
    median(xs) ?? 0
}
