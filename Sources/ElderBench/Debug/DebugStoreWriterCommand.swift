import ArgumentParser
import ElderLab
import ElderStore
import Foundation

extension ElderBenchCommand.Debug {
    /// Commits synthetic edits to a knowledge repo, printing one line per commit as soon as the
    /// branch has moved (tests kill it at random points and run two at once).
    struct StoreWriter: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "store-writer",
            abstract: "Commit synthetic edits to a knowledge repo (creates it when missing).")

        @Option(help: "The knowledge repo (its git dir).") var repo: String
        @Option(help: "Edits to commit.") var count = 10
        @Option(help: "Number of the first edit (edit ids are <prefix><number>).") var start = 1
        @Option(help: "Edit id prefix.") var prefix = "e"
        @Option(help: "Branch to commit to.") var branch = "main"
        @Option(help: "Random seed.") var seed: UInt64 = 1
        @Option(help: "Longest distance between keyframes when creating the repo (keyframes are adaptive).") var keyframe = 32
        @OptionGroup var shape: SyntheticShapeOptions

        func run() throws {
            let sizes = SyntheticAdapterShape(layers: shape.layers, loras: shape.loras, rank: shape.rank,
                                              inputDim: shape.inputDim, outputDim: shape.outputDim, topK: shape.topK)
            var editor = SyntheticEditor(shape: sizes, seed: seed)
            let store: KnowledgeStore
            if FileManager.default.fileExists(atPath: repo + "/HEAD") {
                store = try KnowledgeStore.open(at: repo)
                _ = editor.initialState()
            } else {
                let (created, root) = try SyntheticHistoryWriter.createRepository(
                    at: repo, options: StoreOptions(keyframeInterval: keyframe), editor: &editor)
                store = created
                emit("root \(root.id) 0 \(root.stateHash)")
            }
            let writer = SyntheticHistoryWriter(store: store, editor: editor, editPrefix: prefix)
            for n in start..<(start + count) {
                let result = try writer.commitEdit(number: n, branch: branch)
                emit("commit \(result.id) \(result.depth) \(result.stateHash)")
            }
            emit("done retries \(writer.retries)")
        }

        private func emit(_ line: String) {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }
}
