import ArgumentParser
import ElderStore
import Foundation

extension ElderBenchCommand.Debug {
    /// Rebuilds versions of a knowledge repo in this process and prints each one's state hash,
    /// computed from the rebuilt tensors: `<commit> <sha256>` per line.
    struct StoreRebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "store-rebuild",
            abstract: "Rebuild versions of a knowledge repo and print their state hashes.")

        @Option(help: "The knowledge repo (its git dir).") var repo: String
        @Flag(help: "Every commit reachable from any branch.") var all = false
        @Flag(help: "Forget cached states before each version (every rebuild starts at a keyframe).") var cold = false
        @Argument(help: "Revisions (commit ids, branches, tags, HEAD~n).") var revisions: [String] = []

        func run() throws {
            let store = try KnowledgeStore.open(at: repo)
            var ids = try revisions.map { try store.repository.resolveCommit($0) }
            if all {
                let walk = try RevWalk(repository: store.repository, order: [.topological, .reverse])
                for branch in try store.repository.branches() {
                    if let tip = try store.tip(of: branch) { try walk.push(tip) }
                }
                ids += try walk.all()
            }
            for id in ids {
                if cold { store.clearCaches() }
                let state = try store.state(of: id)
                print("\(id) \(StateHash.compute(state))")
            }
        }
    }
}
