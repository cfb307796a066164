import ArgumentParser
import Elder
import ElderCommandLine

/// `elder-bench`: Elder's lab, apart from the product. Benchmarks that write reports (kernels, model, edit,
/// memory, store, lifelong and its comparison, deferral, tokenizer, serve) and the debug helpers the store tests
/// drive. One file per subcommand; the synthetic histories and research measurements they use are in ElderLab.
@main
struct ElderBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elder-bench",
        abstract: "Run a benchmark of Elder and write its report.",
        discussion: """
            Reports (Markdown + JSON, some with SVG plots) go into reports/ unless --out says otherwise.
            Example: elder-bench lifelong --edits 100 --method elder --background; elder-bench lifelong --status
            """,
        version: Elder.version,
        subcommands: [Kernels.self, Model.self, Memory.self, Edit.self, Store.self, Lifelong.self, LifelongReportCommand.self,
                      Deferral.self, Tokenizer.self, Serve.self, Review.self, Debug.self])

    static func main() async { await CommandLineMain.run(Self.self) }
}
