import ElderLab
import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

/// Keyframe sums packed per tensor group (format 3): the same states as one pack, and a keyframe
/// writes only the groups that changed since the previous one.
final class KeyframeSumTests: XCTestCase {
    var dir = ""
    /// 16 LoRAs per layer, one per edit: four edits leave most LoRAs untouched.
    let shape = SyntheticAdapterShape(layers: 2, loras: 16, rank: 2, inputDim: 16, outputDim: 8, topK: 1)

    override func setUpWithError() throws { dir = temporaryFolder("keyframes") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// A 12-edit history with keyframes every 4 commits; the root first.
    private func history(_ layout: KeyframeSumLayout?, name: String, movesRouters: Bool = true) throws -> (KnowledgeStore, [CommitResult]) {
        var editor = SyntheticEditor(shape: shape, seed: 11, movesRouters: movesRouters)
        let (store, root) = try SyntheticHistoryWriter.createRepository(at: dir + "/" + name, options: StoreOptions(keyframeInterval: 4, keyframeReplayRatio: nil, keyframeSums: layout),
                                                                        editor: &editor)
        let writer = SyntheticHistoryWriter(store: store, editor: editor)
        return (store, [root] + (try (1...12).map { try writer.commitEdit(number: $0) }))
    }

    private func sumEntries(_ store: KnowledgeStore, _ commit: ObjectID, _ folder: String) throws -> [String: ObjectID] {
        let tree = try Commit.lookup(commit, in: store.repository).tree()
        guard let packs = try tree.subtree(named: "keyframe")?.subtree(named: "sum")?.subtree(named: folder) else { return [:] }
        return Dictionary(uniqueKeysWithValues: packs.entries.map { ($0.name, $0.id) })
    }

    func testPerGroupSumsRebuildTheSameStatesAsOnePack() throws {
        let (grouped, a) = try history(.perGroup, name: "grouped")
        let (single, b) = try history(nil, name: "single")
        XCTAssertEqual(a.map(\.stateHash), b.map(\.stateHash), "the layout changes no state")
        for (store, commits, path) in [(grouped, a, "grouped"), (single, b, "single")] {
            let fresh = try KnowledgeStore.open(at: dir + "/" + path)
            for c in commits { XCTAssertEqual(try fresh.state(of: c.id).sha256, c.stateHash) }
            XCTAssertEqual(try git(["fsck", "--strict"], in: store.repository.gitDirectory).status, 0)
        }
        let files = try git(["ls-tree", "-r", "--name-only", "main~4"], in: dir + "/grouped").stdout
        XCTAssertTrue(files.contains("keyframe/sum/router/L0.router.bin") && !files.contains("keyframe/sum/adapter.bin"), files)
        XCTAssertTrue(try git(["show", "main:elder.json"], in: dir + "/grouped").stdout.contains("\"format\" : 3"))
        // A repo made before format 3 keeps its one-pack sums and its format.
        XCTAssertTrue(try git(["ls-tree", "-r", "--name-only", "main~4"], in: dir + "/single").stdout.contains("keyframe/sum/adapter.bin"))
        XCTAssertTrue(try git(["show", "main:elder.json"], in: dir + "/single").stdout.contains("\"format\" : 1"))
        XCTAssertNil(try KnowledgeStore.open(at: dir + "/single").options.keyframeSums)
    }

    func testAKeyframeRewritesOnlyTheGroupsTouchedSinceThePreviousOne() throws {
        let (store, commits) = try history(.perGroup, name: "grouped", movesRouters: false)
        let (_, onePack) = try history(.onePack, name: "single", movesRouters: false)
        let before = try sumEntries(store, commits[4].id, "adapter"), after = try sumEntries(store, commits[8].id, "adapter")
        // Groups the deltas of edits 5…8 touched.
        var touched = Set<String>()
        for c in commits[5...8] { for name in try store.delta(of: c.id).tensors.keys { touched.insert(KnowledgeStore.tensorGroup(name) + ".bin") } }
        XCTAssertTrue((2...8).contains(touched.count), "one LoRA per layer per edit: \(touched)")
        XCTAssertEqual(Set(after.keys), Set(before.keys).union(touched), "a sum holds every group that ever changed")
        XCTAssertFalse(before.isEmpty)
        for (file, id) in after {
            if touched.contains(file) { XCTAssertNotEqual(before[file], id, file) } else { XCTAssertEqual(before[file], id, file) }
        }
        XCTAssertGreaterThan(Set(before.keys).subtracting(touched).count, 0, "some groups are shared with the previous keyframe")
        XCTAssertTrue(try sumEntries(store, commits[8].id, "router").isEmpty, "routers never changed")
        // The keyframe commit's new bytes: its delta and the touched groups only; one pack rewrites all of them.
        print("keyframe commit bytes per group / one pack: \([4, 8, 12].map { (commits[$0].tensorBytes, onePack[$0].tensorBytes) })")
        for depth in [8, 12] { XCTAssertLessThan(commits[depth].tensorBytes, onePack[depth].tensorBytes) }
    }

    func testAPackHoldingAnotherGroupsTensorIsRefused() throws {
        let (store, commits) = try history(.perGroup, name: "grouped")
        let keyframe = commits[4]
        let repo = store.repository
        let tree = try Commit.lookup(keyframe.id, in: repo).tree()
        let kf = try XCTUnwrap(try tree.subtree(named: "keyframe")), sum = try XCTUnwrap(try kf.subtree(named: "sum"))
        let adapter = try XCTUnwrap(try sum.subtree(named: "adapter"))
        let entries = adapter.entries
        XCTAssertGreaterThanOrEqual(entries.count, 2)
        // Swap two groups' packs: every tensor is still there, but under another group's name.
        let packs = try TreeBuilder(repository: repo, base: adapter)
        try packs.insertBlob(entries[0].name, entries[1].id)
        try packs.insertBlob(entries[1].name, entries[0].id)
        let sumBuilder = try TreeBuilder(repository: repo, base: sum)
        try sumBuilder.insertTree("adapter", try packs.write())
        let kfBuilder = try TreeBuilder(repository: repo, base: kf)
        try kfBuilder.insertTree("sum", try sumBuilder.write())
        let top = try TreeBuilder(repository: repo, base: tree)
        try top.insertTree("keyframe", try kfBuilder.write())
        let original = try Commit.lookup(keyframe.id, in: repo)
        let forged = try Commit.create(in: repo, updateRef: nil, author: original.author, committer: original.author,
                                       message: original.message, tree: try top.write(), parents: original.parentIDs)
        XCTAssertThrowsError(try KnowledgeStore.open(at: dir + "/grouped").state(of: forged)) { error in
            guard case StoreError.corrupt(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("belongs to another group"), reason)
        }
        XCTAssertEqual(try KnowledgeStore.open(at: dir + "/grouped").state(of: keyframe.id).sha256, keyframe.stateHash)
    }
}
