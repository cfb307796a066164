import Foundation
import XCTest
@testable import ElderStore

final class KnowledgeStoreTests: XCTestCase {
    func testCommitAndRebuildSmallHistory() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var editor = SyntheticEditor(shape: smallShape, seed: 7)
        let (store, root) = try SyntheticHistoryWriter.createRepository(at: dir, options: StoreOptions(keyframeInterval: 4), editor: &editor)
        let writer = SyntheticHistoryWriter(store: store, editor: editor)
        var hashes: [ObjectID: String] = [root.id: root.stateHash]
        for n in 1...10 {
            let result = try writer.commitEdit(number: n)
            hashes[result.id] = result.stateHash
            XCTAssertEqual(result.depth, n)
            XCTAssertEqual(result.isKeyframe, n % 4 == 0)
        }
        let fresh = try KnowledgeStore.open(at: dir)
        for (id, hash) in hashes {
            XCTAssertEqual(try fresh.state(of: id).sha256, hash)
        }
        XCTAssertEqual(try fresh.liveEdits(at: try fresh.repository.resolveCommit("main")).count, 10)
        let fsck = try git(["fsck", "--strict"], in: dir)
        XCTAssertEqual(fsck.status, 0)
    }
}
