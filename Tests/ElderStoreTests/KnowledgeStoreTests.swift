import ElderLab
import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

final class KnowledgeStoreTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws { dir = temporaryFolder() + "/repo" }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }

    private func makeStore(keyframe: Int = 4) throws -> (KnowledgeStore, SyntheticHistoryWriter, CommitResult) {
        var editor = SyntheticEditor(shape: smallShape, seed: 7)
        let (store, root) = try SyntheticHistoryWriter.createRepository(at: dir, options: StoreOptions(keyframeInterval: keyframe, keyframeReplayRatio: nil), editor: &editor)
        return (store, SyntheticHistoryWriter(store: store, editor: editor), root)
    }

    func testCommitAndRebuildSmallHistory() throws {
        let (_, writer, root) = try makeStore()
        var hashes: [ObjectID: String] = [root.id: root.stateHash]
        for n in 1...10 {
            let result = try writer.commitEdit(number: n)
            hashes[result.id] = result.stateHash
            XCTAssertEqual(result.depth, n)
            XCTAssertEqual(result.isKeyframe, n % 4 == 0)
        }
        let fresh = try KnowledgeStore.open(at: dir)
        for (id, hash) in hashes { XCTAssertEqual(try fresh.state(of: id).sha256, hash) }
        XCTAssertEqual(try fresh.liveEdits(at: try fresh.repository.resolveCommit("main")).count, 10)
        XCTAssertEqual(try fresh.info(of: try fresh.repository.resolveCommit("main")).trailers["Reliability"], "1.0")
        XCTAssertEqual(try git(["fsck", "--strict"], in: dir).status, 0)
        // The tree a user sees.
        let top = try git(["ls-tree", "--name-only", "main"], in: dir).stdout.split(separator: "\n")
        XCTAssertEqual(top, ["codebook", "delta", "edits", "elder.json", "keyframe", "router"])
        let keyframe = try git(["ls-tree", "-r", "--name-only", "main~2"], in: dir).stdout
        XCTAssertTrue(keyframe.contains("keyframe/sum/adapter/L0.lora"), keyframe)
        XCTAssertTrue(keyframe.contains("keyframe/sum/router/L1.router.bin"), keyframe)
        XCTAssertTrue(try git(["show", "main:elder.json"], in: dir).stdout.contains("\"format\" : 3"))
    }

    func testStaleParentOffGridAndBadNamesAreRefusedWithoutChanges() throws {
        let (store, writer, root) = try makeStore()
        let first = try writer.commitEdit(number: 1)
        let tensorName = smallShape.bName(0, 0)
        let onGrid = try store.state(of: first.id).tensors[tensorName]!
        // Built on the root while main is at `first`: refused, main unchanged.
        XCTAssertThrowsError(try store.commit(CommitRequest(branch: "main", parents: [root.id], tensors: [tensorName: onGrid], message: "late"))) { error in
            guard case StoreError.staleParent(_, _, let actual) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(actual, first.id)
        }
        var offGrid = onGrid
        offGrid.values[0] += 1e-9
        XCTAssertThrowsError(try store.commit(CommitRequest(branch: "main", parents: [first.id], tensors: [tensorName: offGrid], message: "x"))) {
            guard case StoreError.notOnGrid = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try store.commit(CommitRequest(branch: "main", parents: [first.id], edit: StoredEditRecord(id: "../evil", json: []), message: "x")))
        XCTAssertThrowsError(try store.commit(CommitRequest(branch: "main", parents: [first.id], tensors: ["a/b": onGrid], message: "x")))
        XCTAssertThrowsError(try store.commit(CommitRequest(branch: "main", parents: [first.id], message: "x", trailers: [Trailer("Elder-Depth", "0")])))
        XCTAssertThrowsError(try store.commit(CommitRequest(branch: "main", parents: [first.id], tensors: [tensorName: StoredTensor.zeros([3])], message: "x")))
        XCTAssertEqual(try store.tip(of: "main"), first.id)
    }

    /// Versions rebuilt by one store share the float buffers of the tensors they hold alike (a history's
    /// versions differ in a few tensors), and a store that keeps nothing (`cacheCapacity: 0`, as `elder ask`
    /// opens it) rebuilds the same values, hash-checked.
    func testVersionsShareUnchangedTensorsAndAStoreKeepingNothingRebuildsTheSame() throws {
        let (_, writer, root) = try makeStore()
        let first = try writer.commitEdit(number: 1)
        let second = try writer.commitEdit(number: 2)
        let store = try KnowledgeStore.open(at: dir)
        let a = try store.state(of: first.id), b = try store.state(of: second.id)
        func address(_ t: StoredTensor) -> UnsafeRawPointer? { t.values.withUnsafeBytes { $0.baseAddress } }
        var shared = 0, changed = 0
        for (name, t) in a.tensors.merging(a.routers, uniquingKeysWith: { x, _ in x }) {
            let other = try XCTUnwrap(b[name], name)
            if other == t {
                XCTAssertEqual(address(other), address(t), "\(name) is held twice")
                shared += 1
            } else {
                changed += 1
            }
        }
        XCTAssertGreaterThan(shared, 0)
        XCTAssertGreaterThan(changed, 0)
        let keepsNothing = try KnowledgeStore.open(at: dir, cacheCapacity: 0)
        for (id, expected) in [(root.id, try store.state(of: root.id)), (first.id, a), (second.id, b), (first.id, a)] {
            let rebuilt = try keepsNothing.state(of: id)
            XCTAssertEqual(rebuilt, expected)
            XCTAssertEqual(rebuilt.sha256, try store.info(of: id).stateHash)
        }
    }

    /// A ref lock left behind by a writer killed inside libgit2's ref update is cleared.
    func testStaleRefLockFromAKilledWriterIsCleared() throws {
        let (_, writer, _) = try makeStore()
        try writer.commitEdit(number: 1)
        let lock = dir + "/refs/heads/main.lock"
        XCTAssertTrue(FileManager.default.createFile(atPath: lock, contents: Data()))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: lock)
        let second = try writer.commitEdit(number: 2)
        XCTAssertEqual(second.depth, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: lock))
    }

    /// Trees written by someone else (here: git) with hostile names or sizes are refused on read.
    func testHostileTreesAreRefused() throws {
        let (store, writer, _) = try makeStore()
        let first = try writer.commitEdit(number: 1)
        func commitTree(_ spec: String) throws -> ObjectID {
            let tree = try git(["mktree"], in: dir, input: spec).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            return try XCTUnwrap(ObjectID(hex: tree))
        }
        let blob = try store.repository.writeBlob(Array("{}".utf8))
        let badLeaf = try commitTree("100644 blob \(blob.hex)\t..evil.json\n")
        let badMid = try commitTree("040000 tree \(badLeaf.hex)\t0\n")
        let badEdits = try commitTree("040000 tree \(badMid.hex)\t0\n")
        let base = try Commit.lookup(first.id, in: store.repository).tree()
        let builder = try TreeBuilder(repository: store.repository, base: base)
        try builder.insertTree("edits", badEdits)
        let tree = try builder.write()
        XCTAssertThrowsError(try store.readEdits(tree: try Tree.lookup(tree, in: store.repository)))
        // A delta pack declaring 2^40 values is refused from its header.
        var huge = Array("ELDP".utf8) + [1, 0, 0, 0] + TensorCodec.le(1)
        huge += TensorCodec.le16(1) + Array("h".utf8) + [2, 32] + TensorCodec.le(1 << 20) + TensorCodec.le(1 << 20) + TensorCodec.le(1) + TensorCodec.le(0)
        let hugeBlob = try store.repository.writeBlob(huge)
        var budget = store.newBudget()
        XCTAssertThrowsError(try store.readPack(hugeBlob, what: "huge", budget: &budget))
    }
}
