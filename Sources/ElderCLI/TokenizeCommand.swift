import ArgumentParser
import ElderCommandLine
import ElderModel
import Foundation

extension ElderCommand {
    /// Prints the token ids a model's tokenizer gives a text.
    struct Tokenize: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the token ids of a text.",
            discussion: "Example: elder tokenize --model smollm2-135m --json -- \"Hello, world!\"")

        @OptionGroup var model: ModelOption
        @OptionGroup var output: OutputOptions
        @Flag(help: "Match special-token spellings such as <|im_start|>.") var special = false
        @Argument(help: "The text (after --).") var text: String

        /// `--json`: the ids in the order the tokenizer gives them.
        struct Report: Encodable { var ids: [Int] }

        func run() throws {
            let tokenizer = try model.loadTokenizer()
            let ids = tokenizer.encode(text, parseSpecial: special)
            try output.console.emit(Report(ids: ids)) { ids.map(String.init).joined(separator: " ") }
        }
    }
}
