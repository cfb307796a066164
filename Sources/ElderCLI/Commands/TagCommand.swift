import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder tag`: list tags, name a version, or delete a tag.
    struct Tag: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, create or delete tags (names for versions of the knowledge).",
            discussion: """
                With -m the tag is annotated (a git tag object with a message), else lightweight.
                Examples:
                  elder tag
                  elder tag v1
                  elder tag reviewed HEAD~2 -m "Checked by the data team"
                  elder tag -d v1
                """)

        @Argument(help: ArgumentHelp("The tag to create.", valueName: "NAME"))
        var name: String?

        @Argument(help: ArgumentHelp("The version to tag (default HEAD).", valueName: "REV"))
        var revision: String?

        @Option(name: .shortAndLong, help: "Make an annotated tag with this message.")
        var message: String?

        @Option(name: .customShort("d"), help: ArgumentHelp("Delete a tag.", valueName: "NAME"))
        var delete: String?

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Item: Encodable {
            var name: String
            var commit: String
            var message: String?
        }

        struct Report: Encodable {
            var action: String
            var tags: [Item]
        }

        func validate() throws {
            if delete != nil, name != nil || revision != nil || message != nil {
                throw ValidationError("-d NAME deletes one tag; give nothing else")
            }
            if name == nil, revision != nil || message != nil { throw ValidationError("give the tag's NAME") }
        }

        func run() throws {
            let console = output.console
            let history = try RepoHistory.open(at: try repo.repoPath())
            if let delete {
                let commit = try history.deleteTag(delete)
                try console.emit(Report(action: "deleted", tags: [Item(name: delete, commit: commit.hex)])) {
                    "Deleted tag '\(delete)' (was \(commit.short))"
                }
                return
            }
            if let name {
                let tag = try history.createTag(name, at: revision ?? "HEAD", message: message)
                try console.emit(Report(action: "created", tags: [Item(name: name, commit: tag.commit.hex, message: message)])) {
                    "Tagged \(tag.commit.short) as \(name)"
                }
                return
            }
            let tags = try history.tags()
            try console.emit(Report(action: "list", tags: tags.map { Item(name: $0.name, commit: $0.commit.hex, message: $0.message) })) {
                tags.map { t in
                    t.name + " " + console.yellow(t.commit.short)
                        + (t.message.flatMap { $0.split(separator: "\n").first.map { " " + $0 } } ?? "")
                }.joined(separator: "\n")
            }
        }
    }
}
