import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder diff-driver FILE`: a knowledge repo's blob as text, for git's textconv (`git diff`, `git show`).
    struct DiffDriver: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff-driver",
            abstract: "Print a knowledge repo's blob as text: git's textconv for `git diff` and `git show`.",
            discussion: """
                `elder init` and `elder clone` set it up: `info/attributes` gives the repo's blobs the diff driver \
                `elder`, and `git config diff.elder.textconv` runs this command on a temporary file holding a blob. \
                Then `git diff HEAD~1` prints the edit record (prompt → target, metrics) and one line per changed \
                tensor (shape, values that are not zero, largest and RMS value) instead of "Binary files differ".
                Set it up in an older repo: git config diff.elder.textconv 'elder diff-driver' and add \
                '*.bin diff=elder', '*.json diff=elder' and 'codebook/* diff=elder' to its info/attributes.
                Example: elder diff-driver <(git show HEAD:delta/adapter.bin)
                """)

        @Argument(help: ArgumentHelp("The file holding the blob (git passes a temporary file).", valueName: "FILE"))
        var file: String

        /// A textconv input larger than this is described by its size only (a keyframe of a big adapter is
        /// tens of MB; nothing a person reads in a diff).
        static let maxBytes = 256 << 20

        func run() throws {
            let attributes = try? FileManager.default.attributesOfItem(atPath: file)
            let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
            guard let handle = FileHandle(forReadingAtPath: file) else {
                throw CLIFailure.fatal("cannot read \(file): give the path of a file holding the blob")
            }
            defer { try? handle.close() }
            let text: String
            if size > Self.maxBytes {
                text = "binary, \(size) bytes\n"
            } else {
                let bytes = [UInt8](try handle.readToEnd() ?? Data())
                // The repo's grid, when git runs this inside one (it does: textconv runs in the repo).
                let grid = (try? RepoOptions.parse([]).openStore())?.grid ?? StoreOptions().grid
                text = BlobText.render(bytes, grid: grid)
            }
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
