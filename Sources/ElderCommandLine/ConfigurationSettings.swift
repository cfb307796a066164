import ArgumentParser

/// `--set key=value` (repeatable): changes to an editor configuration, shared by `init` and the benchmarks.
public struct ConfigurationSettings: ParsableArguments {
    public init() {}

    @Option(name: .customLong("set"), help: "Configuration change key=value (repeatable).")
    public var settings: [String] = []

    /// The settings as a dictionary; a setting without `=` is a usage error.
    public func overrides() throws -> [String: String] {
        var overrides: [String: String] = [:]
        for s in settings {
            let parts = s.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--set takes key=value, got \(s)") }
            overrides[parts[0]] = parts[1]
        }
        return overrides
    }
}
