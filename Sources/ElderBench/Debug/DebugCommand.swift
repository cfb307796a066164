import ArgumentParser
import ElderLab

extension ElderBenchCommand {
    /// Hidden helpers for tests and diagnosis (not part of the user-facing command set).
    struct Debug: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Internal helpers used by Elder's tests.",
            shouldDisplay: false,
            subcommands: [StoreWriter.self, StoreRebuild.self])
    }
}

/// Sizes of a synthetic adapter, shared by the store helpers and `elder-bench store`.
struct SyntheticShapeOptions: ParsableArguments {
    @Option(help: "MoLoRA layers.") var layers = 6
    @Option(help: "LoRAs per layer (N).") var loras = 4
    @Option(help: "LoRA rank (r).") var rank = 8
    @Option(name: .customLong("in-dim"), help: "Input size of the adapted projection.") var inputDim = 1536
    @Option(name: .customLong("out-dim"), help: "Output size of the adapted projection.") var outputDim = 576
    @Option(name: .customLong("top-k"), help: "LoRAs an edit trains per layer (k).") var topK = 2

    func validate() throws {
        guard layers >= 1, loras >= 1, rank >= 1, inputDim >= 1, outputDim >= 1, (1...loras).contains(topK) else {
            throw ValidationError("sizes must be positive and 1 <= top-k <= loras")
        }
    }
}
