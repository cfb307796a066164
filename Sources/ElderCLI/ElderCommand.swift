import ArgumentParser
import Elder
import ElderCommandLine
import ElderModel

/// The `elder` command: git for a language model's knowledge. One file per subcommand (Commands/);
/// option groups of its own in Support/, those shared with `elder-bench` in ElderCommandLine.
/// Benchmarks and debug helpers are not here: they are `elder-bench` (ElderBench).
@main
struct ElderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elder",
        abstract: "Git for a language model's knowledge: edit facts, commit them, log, diff, revert, bisect.",
        usage: "elder [-C DIR] <subcommand>",
        discussion: """
            Start with: elder init facts --model smollm2-135m && cd facts
            Then: elder edit "The CEO of Acme is" " Jane Doe" -m "New CEO"; elder log; elder ask "The CEO of Acme is"
            -C DIR before the subcommand runs it as if elder was started in DIR (as git -C; repeatable).
            """,
        version: Elder.version,
        groupedSubcommands: [
            CommandGroup(name: "Knowledge", subcommands: [Init.self, Status.self, Edit.self, Ask.self, Eval.self, Export.self, Serve.self]),
            CommandGroup(name: "History", subcommands: [Log.self, Show.self, Diff.self, Branch.self, Checkout.self, Tag.self,
                                                         Revert.self, Reset.self, Merge.self, CherryPick.self, Bisect.self]),
            CommandGroup(name: "Remotes", subcommands: [Clone.self, Push.self, Pull.self, Verify.self]),
            CommandGroup(name: "Git integration", subcommands: [DiffDriver.self, Completion.self]),
            CommandGroup(name: "Model and data", subcommands: [Generate.self, Tokenize.self, EditSet.self, Smoke.self]),
        ]
    )

    /// The product keeps float32 copies only of the matrices training reads: decoding, answering and serving
    /// read the model file's quantized blocks (`FloatWeights.transient`).
    static func main() async {
        LoadedModel.floatWeights = .transient
        await CommandLineMain.run(Self.self, rewriting: GitStyleArguments.apply)
    }
}
