import ArgumentParser
import ElderCommandLine
import ElderModel
import Foundation

extension ElderCommand {
    /// Prints a base model's completion of a prompt.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Complete a prompt with the base model.",
            discussion: """
                Greedy by default; --temperature above 0 samples (with --top-k, --top-p, --seed).
                Example: elder generate "The capital of France is" --model smollm2-135m --max-tokens 16
                """)

        @Argument(help: "The prompt to complete.") var prompt: String
        @OptionGroup var model: ModelOption
        @Option(help: "Most tokens to generate.") var maxTokens: Int = 64
        @Option(help: "Sampling temperature (0 = greedy).") var temperature: Float = 0
        @Option(help: "Sample among the k most likely tokens (0 = all).") var topK: Int = 0
        @Option(help: "Sample within the smallest set of tokens reaching this probability.") var topP: Float = 1
        @Option(help: "Random seed for sampling.") var seed: UInt64 = 0
        @Option(help: "Stop when the completion contains this text (repeatable).") var stop: [String] = []
        @Flag(help: "Wrap the prompt in the model's chat template (instruct models).") var chat = false

        func validate() throws {
            guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
            guard temperature >= 0 else { throw ValidationError("--temperature must be 0 or more") }
            guard topK >= 0 else { throw ValidationError("--top-k must be 0 or more") }
            guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        }

        func run() throws {
            let loaded = try model.load()
            let options = GenerationOptions(maxTokens: maxTokens,
                                            sampling: SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed),
                                            stopStrings: stop, useChatTemplate: chat)
            let generator = TextGenerator(loaded)
            let tokens = try generator.checkedPromptTokens(prompt, options: options)
            _ = generator.generate(tokens: tokens, options: options) { piece in
                FileHandle.standardOutput.write(Data(piece.utf8))
            }
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
    }
}
