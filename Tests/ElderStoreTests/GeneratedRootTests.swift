import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

/// Root tensors regenerated from a seed (`StoreOptions.generatedRoot`): exact values, part of the state
/// and its hash, absent from the root's packs, and an `elder.json` format that older readers refuse.
final class GeneratedRootTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws { dir = temporaryFolder() + "/repo" }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }

    let grid = Grid(log2Step: -20)

    func generated() -> GeneratedRoot {
        GeneratedRoot(seed: 0x0123_4567_89ab_cdef, groups: [
            GeneratedRoot.Group(shape: [2, 3], bound: 1000, names: ["molora.20.0.A"]),
            GeneratedRoot.Group(shape: [4, 16], bound: 370_728, names: ["a1", "a2"]),
        ])
    }

    func testValuesMatchAnIndependentComputation() throws {
        // Computed with a 12-line Python SplitMix64 + FNV-1a, as FORMAT.md ("Generated root tensors") states it.
        let state = try generated().state()
        XCTAssertEqual(state.tensors["molora.20.0.A"]?.units, [-560, -378, -957, -958, 659, 295])
        XCTAssertEqual(state.tensors["molora.20.0.A"]?.shape, [2, 3])
        let big = try XCTUnwrap(state.tensors["a1"]?.units)
        XCTAssertEqual(big.count, 64)
        XCTAssertTrue(big.allSatisfy { abs($0) <= 370_728 })
        XCTAssertNotEqual(big, state.tensors["a2"]?.units, "each name has its own stream")
        XCTAssertEqual(try generated().state(), state, "deterministic")
    }

    func testRootHoldsTheSeedAndRebuildsTheWholeState() throws {
        var initial = StoredState()
        initial.tensors["b1"] = StoredTensor(shape: [16, 4], values: [Float](repeating: 0, count: 64))
        initial.routers["router.w"] = StoredTensor(shape: [2, 3], values: [0.5, -0.25, 0.125, 1, 2, -3])
        let (store, root) = try KnowledgeStore.create(at: dir, options: StoreOptions(keyframeInterval: 2, keyframeReplayRatio: nil, generatedRoot: generated()),
                                                      initial: initial)
        var expected = initial
        for (name, t) in try generated().state().floats(on: grid).tensors { expected.tensors[name] = t }
        XCTAssertEqual(root.stateHash, StateHash.compute(expected), "the hash covers the generated tensors")
        // The root's packs hold the given tensors only; elder.json names the generator (format 3: with the
        // default per-group keyframe sums).
        XCTAssertEqual(Set(try store.delta(of: root.id).tensors.keys), ["b1"])
        let json = try git(["show", "main:elder.json"], in: dir).stdout
        XCTAssertTrue(json.contains("\"format\" : 3") && json.contains(GeneratedRoot.uniformUnits), json)

        // Edits change generated tensors like any other; a fresh reader rebuilds every version exactly.
        var changed = expected.tensors["a1"]!
        changed.values[5] += 3 * grid.step
        let first = try store.commit(CommitRequest(branch: "main", parents: [root.id], tensors: ["a1": changed], message: "one"))
        var after = expected
        after.tensors["a1"] = changed
        let second = try store.commit(CommitRequest(branch: "main", parents: [first.id], tensors: ["b1": changed.reshaped([16, 4])],
                                                    message: "two (a keyframe)"))
        after.tensors["b1"] = changed.reshaped([16, 4])
        XCTAssertTrue(second.isKeyframe)
        let fresh = try KnowledgeStore.open(at: dir)
        XCTAssertEqual(try fresh.state(of: root.id), expected)
        XCTAssertEqual(try fresh.state(of: first.id).tensors["a1"], changed)
        XCTAssertEqual(try fresh.state(of: second.id), after)
        XCTAssertEqual(try fresh.state(of: second.id).sha256, StateHash.compute(after))
        XCTAssertEqual(try git(["fsck", "--strict"], in: dir).status, 0)
    }

    func testBadSpecificationsAndMismatchedFormatsAreRefused() throws {
        var unknown = generated()
        unknown.generator = "gaussian"
        var zero = generated()
        zero.groups[0].bound = 0
        var repeated = generated()
        repeated.groups[1].names = ["a1", "a1"]
        var huge = generated()
        huge.groups[1].shape = [1 << 20, 1 << 10]
        for bad in [unknown, zero, repeated, huge] {
            XCTAssertThrowsError(try KnowledgeStore.create(at: dir, options: StoreOptions(generatedRoot: bad),
                                                           initial: StoredState(tensors: ["b": .zeros([2])]))) {
                XCTAssertTrue("\($0)".contains("generatedRoot"), "\($0)")
            }
        }
        XCTAssertThrowsError(try KnowledgeStore.create(at: dir, options: StoreOptions(generatedRoot: generated()),
                                                       initial: StoredState(tensors: ["a1": .zeros([4, 16])]))) {
            XCTAssertTrue("\($0)".contains("both generated and given"), "\($0)")
        }
        // elder.json's format goes with its generatedRoot and keyframeSums sections: 1 neither, 2 generated
        // root only, 3 per-group keyframe sums (with or without a generated root); any other pairing is refused.
        let cases: [(StoreOptions, Int)] = [
            (StoreOptions(keyframeSums: nil), 1), (StoreOptions(keyframeSums: .onePack), 1),
            (StoreOptions(generatedRoot: generated(), keyframeSums: nil), 2),
            (StoreOptions(), 3), (StoreOptions(generatedRoot: generated()), 3),
        ]
        for (options, format) in cases {
            let text = String(decoding: try RepoFormat.elderJSON(options: options, workspace: [:]), as: UTF8.self)
            XCTAssertTrue(text.contains("\"format\" : \(format)"), text)
            XCTAssertEqual(try RepoFormat.parseElderJSON(Array(text.utf8)).options, options)
            for other in 1...4 where other != format {
                XCTAssertThrowsError(try RepoFormat.parseElderJSON(Array(text.replacingOccurrences(of: "\"format\" : \(format)", with: "\"format\" : \(other)").utf8)))
            }
        }
    }
}

private extension StoredTensor {
    func reshaped(_ shape: [Int]) -> StoredTensor { StoredTensor(shape: shape, values: values) }
}
