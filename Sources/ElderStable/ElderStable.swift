/// ElderStable: what every machine must compute bit for bit the same — the SplitMix64 generator, the
/// FNV-1a string hash and its 16-digit hex form. The repo format, the editor and the benchmarks depend on
/// these values; the module depends on nothing.
public enum ElderStableInfo {
    public static let moduleName = "ElderStable"
}
