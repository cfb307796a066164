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
        @Flag(help: "Print a JSON array of ints.") var json = false
        @Flag(help: "Match special-token spellings such as <|im_start|>.") var special = false
        @Argument(help: "The text (after --).") var text: String

        func run() throws {
            let tokenizer = try model.loadTokenizer()
            let ids = tokenizer.encode(text, parseSpecial: special)
            print(json ? "[" + ids.map(String.init).joined(separator: ",") + "]" : ids.map(String.init).joined(separator: " "))
        }
    }
}
