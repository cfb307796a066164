/// ElderLab: what Elder's benchmarks and method research use and the product does not.
///
/// - `Synthetic/`: adapter-shaped synthetic edits and histories (no model) for store tests and
///   `elder-bench store`.
/// - `Deferral/`: research measurements of the deferral (residual and query dumps, the lookup timing of
///   `elder-bench deferral --keys` with the key layout it replaced).
public enum ElderLabInfo {
    public static let moduleName = "ElderLab"
}
