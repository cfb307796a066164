import ArgumentParser
import ElderCommandLine
import Foundation

extension ElderCommand {
    /// `elder completion bash|zsh|fish`: the shell completion script (swift-argument-parser's generator).
    struct Completion: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the shell completion script for bash, zsh or fish.",
            discussion: """
                Install it once (then open a new shell):
                  bash: elder completion bash > ~/.local/share/bash-completion/completions/elder
                  zsh:  elder completion zsh > ~/.zfunc/_elder   # with fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc
                  fish: elder completion fish > ~/.config/fish/completions/elder.fish
                """)

        enum Shell: String, ExpressibleByArgument, CaseIterable {
            case bash, zsh, fish
        }

        @Argument(help: ArgumentHelp("The shell: bash, zsh or fish.", valueName: "SHELL"))
        var shell: Shell

        func run() throws {
            guard let target = CompletionShell(rawValue: shell.rawValue) else {
                throw CLIFailure.fatal("no completion script for \(shell.rawValue): use bash, zsh or fish")
            }
            FileHandle.standardOutput.write(Data(ElderCommand.completionScript(for: target).utf8))
        }
    }
}
