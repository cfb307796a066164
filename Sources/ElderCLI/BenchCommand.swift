import ArgumentParser

extension ElderCommand {
    /// Benchmarks that write reports: kernels, model, edit, store, lifelong (and its comparison), deferral.
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a benchmark and write its report.",
            subcommands: [Kernels.self, Model.self, Edit.self, Store.self, Lifelong.self, LifelongReportCommand.self, Deferral.self])
    }
}
