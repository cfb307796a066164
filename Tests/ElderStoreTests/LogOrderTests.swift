import ElderLab
import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

/// `Repository.log` on a history with a merge, against the git command line.
final class LogOrderTests: XCTestCase {
    func testLogAfterAMergeListsWhatGitLists() throws {
        let dir = temporaryFolder("log") + "/repo"
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        var editor = SyntheticEditor(shape: smallShape, seed: 3)
        let (store, _) = try SyntheticHistoryWriter.createRepository(at: dir, options: StoreOptions(), editor: &editor)
        let writer = SyntheticHistoryWriter(store: store, editor: editor)
        for n in 1...3 { try writer.commitEdit(number: n) }
        try store.repository.createBranch("side", at: try XCTUnwrap(try store.tip(of: "main")))
        writer.carry = CompactionCarry()
        for n in 4...5 { try writer.commitEdit(number: n, branch: "side") }
        writer.carry = CompactionCarry()
        for n in 6...7 { try writer.commitEdit(number: n) }
        let side = try XCTUnwrap(try store.tip(of: "side"))
        writer.carry = CompactionCarry()
        try writer.commitEdit(number: 8, extraParents: [side])
        let repo = store.repository
        let main = try repo.resolveCommit("main")
        func gitLog(_ extra: [String]) throws -> [String] {
            try git(["log", "--format=%H"] + extra + ["main"], in: dir).stdout.split(separator: "\n").map(String.init)
        }
        // First parents only: the merge, main's own edits and the root, exactly as git lists them.
        let firstParent = try repo.log(from: main, firstParentOnly: true).map(\.hex)
        XCTAssertEqual(firstParent, try gitLog(["--first-parent"]))
        XCTAssertEqual(firstParent.count, 7)
        // The whole log: the same commits as git's, newest first and every commit before its parents.
        let all = try repo.log(from: main)
        XCTAssertEqual(Set(all.map(\.hex)), Set(try gitLog([])))
        XCTAssertEqual(all.count, 9)
        for (i, id) in all.enumerated() {
            for parent in try Commit.lookup(id, in: repo).parentIDs {
                XCTAssertGreaterThan(try XCTUnwrap(all.firstIndex(of: parent)), i, "a parent listed before its child")
            }
        }
    }
}
