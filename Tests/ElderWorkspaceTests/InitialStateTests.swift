import Elder
import ElderEditing
import ElderModel
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// A new repo's root commit holds a seed for the LoRAs' random A matrices (`GeneratedRoot`), not the
/// matrices; the editor trains from exactly the values every reader regenerates.
final class InitialStateTests: XCTestCase {
    static let model: Result<LoadedModel, Error> = Result {
        let path = temporaryFolder("elder-initial-model") + "/tiny-llama.gguf"
        try TinyCheckpoint.make(seed: 7, layers: 4).writeGGUF(to: path)
        return try LoadedModel.load(path: path)
    }

    func testLoRAMatricesAreGeneratedNotStored() throws {
        let repo = temporaryFolder("elder-initial-state") + "/facts"
        let ws = try Workspace.initialize(at: repo, model: try Self.model.get())
        let c = ws.configuration
        let generated = try XCTUnwrap(ws.store.options.generatedRoot)
        let names = Set(generated.groups.flatMap(\.names))
        XCTAssertEqual(names, Set(c.layers.flatMap { l in (0..<c.experts).map { AdapterState.loraA(layer: l, expert: $0) } }))
        // The root's packs hold the rest (B matrices, routers), not the A matrices.
        let root = try ws.resolve("main~1")
        XCTAssertTrue(Set(try ws.store.delta(of: root).tensors.keys).isDisjoint(with: names))
        // The state holds them, uniform within ±1/√r on the grid, and they are what the editor starts from.
        let state = try ws.store.state(of: root)
        let bound = 1 / Float(c.rank).squareRoot()
        for name in names {
            let values = try XCTUnwrap(state.tensors[name]?.values)
            XCTAssertTrue(values.allSatisfy { abs($0) <= bound + ws.store.grid.step }, name)  // the bound rounded to the grid
            XCTAssertGreaterThan(values.map(abs).max()!, bound * 0.9, name)
            XCTAssertEqual(try ws.version(at: "main").adapter[name]?.scalars, values)
        }
        // An edit trains from them; a fresh reader rebuilds the same versions (the store checks each state hash).
        // (main~2, the root, has no codebook yet: `init` writes it in the second commit.)
        try ws.edit(EditRequest(id: "sky", prompt: "The colour of the sky is", target: " purple"))
        let reopened = try Workspace.open(at: repo, model: try Self.model.get())
        for rev in ["main", "main~1"] {
            XCTAssertEqual(try reopened.version(at: rev).adapter, try ws.version(at: rev).adapter, rev)
        }
        XCTAssertEqual(try GitCLI.run(["fsck", "--strict"], in: repo).status, 0)
    }
}
