import ElderLab
import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

/// A writer that keeps its own copy of every committed state (floats), independent of the store's
/// rebuild, and records the hash of what it held at each commit.
final class RecordingWriter {
    let store: KnowledgeStore
    var editor: SyntheticEditor
    var carry = CompactionCarry()
    /// The state the writer held after each commit, by commit id (hash of that state).
    var heldHashes: [ObjectID: String] = [:]
    var states: [ObjectID: StoredState] = [:]

    init(store: KnowledgeStore, editor: SyntheticEditor, root: ObjectID, initial: StoredState) {
        self.store = store
        self.editor = editor
        states[root] = initial
        heldHashes[root] = initial.sha256
    }

    /// One edit on `branch`, built on the writer's own copy of the tip's state.
    @discardableResult
    func edit(_ number: Int, branch: String) throws -> ObjectID {
        let tip = try XCTUnwrap(try store.tip(of: branch))
        var held = try XCTUnwrap(states[tip])
        let allocation = editor.allocation()
        let trained = editor.trainedEdit(from: held, allocation: allocation)
        let committed = try store.compact(trained: trained, parent: tip, carry: &carry)
        for (k, v) in committed.tensors { held.tensors[k] = v }
        for (k, v) in committed.routers { held.routers[k] = v }
        let result = try store.commit(CommitRequest(
            branch: branch, parents: [tip], edit: StoredEditRecord(id: "e\(number)", json: Array("{\"n\":\(number)}".utf8)),
            tensors: committed.tensors, routers: committed.routers, codebook: ["codes.bin": editor.code(allocation)],
            message: "Edit \(number)", trailers: [Trailer("Edit-Number", "\(number)")]))
        states[result.id] = held
        heldHashes[result.id] = held.sha256
        XCTAssertEqual(result.stateHash, heldHashes[result.id], "store hash differs from the writer's at edit \(number)")
        return result.id
    }
}

final class ExactnessTests: XCTestCase {
    /// 300 edits of the real model's sizes with keyframes, a branch, a merge and tags; every version
    /// rebuilt by a fresh store and by a child process equals what the writer held, bit for bit.
    func testThreeHundredEditsRebuildExactlyEverywhere() throws {
        let dir = temporaryFolder("exact")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var editor = SyntheticEditor(shape: SyntheticAdapterShape(), seed: 11)
        let initial = editor.initialState()
        let options = StoreOptions(keyframeInterval: 16)
        let (store, root) = try KnowledgeStore.create(at: dir, options: options, initial: initial)
        let w = RecordingWriter(store: store, editor: editor, root: root.id,
                                initial: Compactor.snap(initial, to: options.grid))
        XCTAssertEqual(w.heldHashes[root.id], root.stateHash)

        var number = 0
        for _ in 0..<120 { number += 1; try w.edit(number, branch: "main") }
        let forkPoint = try XCTUnwrap(try store.tip(of: "main"))
        try store.repository.createBranch("side", at: forkPoint)
        try store.repository.createTag("before-side", at: forkPoint)
        for i in 0..<90 {
            number += 1
            try w.edit(number, branch: i % 3 == 0 ? "main" : "side")
        }
        // Merge side into main: ours + (theirs − base), computed independently in Double.
        let ours = try XCTUnwrap(try store.tip(of: "main")), theirs = try XCTUnwrap(try store.tip(of: "side"))
        let merged = try store.mergedTensors(ours: ours, theirs: theirs)
        XCTAssertEqual(merged.base, forkPoint)
        var expected = try XCTUnwrap(w.states[ours])
        let (o, t, b) = (w.states[ours]!, w.states[theirs]!, w.states[forkPoint]!)
        for (name, tensor) in t.tensors.merging(t.routers, uniquingKeysWith: { a, _ in a }) {
            let values = (0..<tensor.count).map { Float(Double(o[name]!.values[$0]) + Double(tensor.values[$0]) - Double(b[name]!.values[$0])) }
            if o.tensors[name] != nil { expected.tensors[name] = StoredTensor(shape: tensor.shape, values: values) }
            else { expected.routers[name] = StoredTensor(shape: tensor.shape, values: values) }
        }
        let sideEdits = try store.liveEdits(at: theirs).filter { e in !(try store.liveEdits(at: ours)).contains(e) }
        let mergeResult = try store.commit(CommitRequest(
            branch: "main", parents: [ours, theirs], addedEdits: sideEdits,
            tensors: merged.tensors.tensors, routers: merged.tensors.routers, message: "Merge side"))
        XCTAssertEqual(mergeResult.stateHash, expected.sha256, "merge state differs from ours + theirs − base")
        w.states[mergeResult.id] = expected
        w.heldHashes[mergeResult.id] = expected.sha256
        XCTAssertEqual(try store.liveEdits(at: mergeResult.id).count, 210)
        while number < 300 { number += 1; try w.edit(number, branch: "main") }
        try store.repository.createTag("v300", at: try XCTUnwrap(try store.tip(of: "main")), message: "300 edits")

        // A revert of one edit is exact: the state returns to tip − that edit's delta.
        let victim = try store.repository.resolveCommit("main~7")
        let reverted = try store.revertedTensors(reverting: victim, onto: try XCTUnwrap(try store.tip(of: "main")))
        var afterRevert = try store.gridState(of: try XCTUnwrap(try store.tip(of: "main")))
        try afterRevert.add(try store.delta(of: victim), sign: -1)
        try afterRevert.add(try store.delta(of: victim))
        XCTAssertEqual(afterRevert, try store.gridState(of: try XCTUnwrap(try store.tip(of: "main"))))
        XCTAssertFalse(reverted.tensors.isEmpty)

        XCTAssertEqual(w.heldHashes.count, 302)
        // 1. A fresh store object, cold caches before every version.
        let fresh = try KnowledgeStore.open(at: dir)
        for (id, hash) in w.heldHashes {
            fresh.clearCaches()
            XCTAssertEqual(StateHash.compute(try fresh.state(of: id)), hash, "version \(id.short)")
        }
        // Revspecs: branch, tag, HEAD~n, first-parent history through the merge.
        XCTAssertEqual(try fresh.state(at: "v300").sha256, w.heldHashes[try store.repository.resolveCommit("main")])
        XCTAssertEqual(try fresh.state(at: "before-side").sha256, w.heldHashes[forkPoint])
        XCTAssertEqual(try fresh.state(at: "HEAD~5").sha256, w.heldHashes[try store.repository.resolveCommit("main~5")])
        XCTAssertEqual(try fresh.state(at: "side").sha256, w.heldHashes[theirs])

        // 2. A child process (the built elder-bench binary) rebuilds every commit of every branch.
        let child = try ElderProcess.run(["debug", "store-rebuild", "--repo", dir, "--all", "--cold"], in: dir,
                                         executable: ElderProcess.benchBinary)
        XCTAssertEqual(child.status, 0, child.stderr)
        let lines = child.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 302)
        for line in lines {
            let parts = line.split(separator: " ")
            let id = try XCTUnwrap(ObjectID(hex: String(parts[0])))
            XCTAssertEqual(String(parts[1]), w.heldHashes[id], "child rebuild of \(id.short)")
        }

        // 3. git reads it: fsck, log through the merge, the trailers, clone.
        XCTAssertEqual(try git(["fsck", "--strict"], in: dir).status, 0)
        let count = try git(["rev-list", "--count", "main"], in: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(count, "302")
        let depth = try git(["log", "-1", "--format=%(trailers:key=Elder-Depth,valueonly)", "main"], in: dir).stdout
        XCTAssertEqual(depth.trimmingCharacters(in: .whitespacesAndNewlines), "\(try fresh.info(of: try fresh.repository.resolveCommit("main")).depth)")
        XCTAssertTrue(try git(["show", "--stat", "main"], in: dir).stdout.contains("delta/adapter.bin"))
        XCTAssertTrue(try git(["show", "main:edits/" + editPath("e300")], in: dir).stdout.contains("300"))
        try git(["clone", "-q", "--bare", dir, dir + "-clone"], in: NSTemporaryDirectory())
        defer { try? FileManager.default.removeItem(atPath: dir + "-clone") }
        let cloned = try KnowledgeStore.open(at: dir + "-clone")
        XCTAssertEqual(try cloned.state(at: "main").sha256, w.heldHashes[try store.repository.resolveCommit("main")])
    }

    private func editPath(_ id: String) -> String {
        let (x, y) = KnowledgeStore.editShard(id)
        return "\(x)/\(y)/\(id).json"
    }
}
