import Elder
import ElderEditing
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// `elder cherry-pick` on tiny-model repos: one edit of another branch applied exactly, checked against
/// git, revertible; the commits it refuses leave the branch where it was.
final class CherryPickCommandTests: XCTestCase {
    /// main: e1, e2; side (from e1): s1, s2.
    func twoBranches(name: String = #function, settings: [String] = []) throws
        -> (repo: String, ws: Workspace, e1: ObjectID, e2: ObjectID, s1: ObjectID, s2: ObjectID) {
        let repo = try TinyRepo.make(name, extra: settings.flatMap { ["--set", $0] })
        let ws = try Workspace.open(at: repo, model: TinyRepo.modelPath)
        let e1 = try ws.edit(EditRequest(id: "e1", prompt: "fact 1 is", target: " v1")).commit
        try ws.store.repository.createBranch("side", at: e1)
        let e2 = try ws.edit(EditRequest(id: "e2", prompt: "fact 2 is", target: " v2")).commit
        let s1 = try ws.edit(EditRequest(id: "s1", prompt: "side fact 1 is", target: " w1"), on: "side").commit
        let s2 = try ws.edit(EditRequest(id: "s2", prompt: "side fact 2 is", target: " w2"),
                             message: "Side fact two\n\nSource: a test", on: "side").commit
        return (repo, ws, e1, e2, s1, s2)
    }

    func git(_ repo: String, _ args: [String]) throws -> String { try GitCLI.run(args, in: repo).output }

    func testCherryPickAppliesOneEditsExactDeltaAndRevertTakesItOut() throws {
        let (repo, ws, _, e2, _, s2) = try twoBranches()
        let run = try ElderProcess.run(["cherry-pick", s2.hex, "--no-repair", "--json"], in: repo)
        XCTAssertSucceeded(run)
        let json = try run.json()
        let commit = try XCTUnwrap(json["commit"] as? String)
        XCTAssertEqual(json["editIDs"] as? [String], ["s2"])
        XCTAssertEqual(json["picked"] as? String, s2.hex)
        XCTAssertEqual(json["tip"] as? String, commit)
        // git: one new commit on main whose parent is the old tip, with the picked message, the note and trailers.
        XCTAssertEqual(try git(repo, ["rev-parse", "main"]), commit)
        XCTAssertEqual(try git(repo, ["rev-list", "--parents", "-n", "1", "main"]), "\(commit) \(e2.hex)")
        XCTAssertEqual(try git(repo, ["log", "-1", "--format=%s", "main"]), "Side fact two")
        XCTAssertTrue(try git(repo, ["log", "-1", "--format=%B", "main"]).contains("(cherry picked from commit \(s2.hex))"))
        XCTAssertEqual(try git(repo, ["log", "-1", "--format=%(trailers:key=Cherry-Picked-From,valueonly)", "main"]), s2.hex)
        XCTAssertEqual(try git(repo, ["log", "-1", "--format=%(trailers:key=Elder-Edit,valueonly)", "main"]), "s2")
        XCTAssertEqual(try GitCLI.run(["fsck", "--strict"], in: repo).status, 0)
        // The edit record is the very blob of the side branch.
        func recordBlob(_ rev: String) throws -> String? {
            try git(repo, ["ls-tree", "-r", rev]).split(separator: "\n").first { $0.hasSuffix("/s2.json") || $0.hasSuffix("\ts2.json") }
                .map { String($0.split(separator: " ")[2].prefix(40)) }
        }
        XCTAssertNotNil(try recordBlob("side"))
        XCTAssertEqual(try recordBlob("main"), try recordBlob("side"))
        XCTAssertEqual(Set(try ws.liveEdits(at: "main").map(\.id)), ["e1", "e2", "s2"])

        // The state moved by exactly s2's delta, tensor by tensor on the grid.
        let store = ws.store
        let change = try store.gridState(of: try ws.resolve("main")).difference(from: try store.gridState(of: e2))
        let delta = try store.delta(of: s2)
        XCTAssertFalse(delta.tensors.filter { !$0.value.isZero }.isEmpty)
        XCTAssertEqual(change.tensors.filter { !$0.value.isZero }, delta.tensors.filter { !$0.value.isZero })
        XCTAssertEqual(change.routers.filter { !$0.value.isZero }, delta.routers.filter { !$0.value.isZero })
        // The picked edit answers on main as on its branch (same delta, same codebook entry).
        XCTAssertEqual(try ws.ask("side fact 2 is", at: "main", maxTokens: 2).text, try ws.ask("side fact 2 is", at: "side", maxTokens: 2).text)

        // Picking it again: already live, nothing moves.
        XCTAssertFailed(try ElderProcess.run(["cherry-pick", s2.hex], in: repo), status: 128, containing: "edit s2 is already live on main")
        XCTAssertEqual(try git(repo, ["rev-parse", "main"]), commit)
        // Revert takes it out: main's state is bit for bit the one before the pick.
        let revert = try ElderProcess.run(["revert", "HEAD", "--json"], in: repo)
        XCTAssertSucceeded(revert)
        XCTAssertEqual(try revert.json()["editID"] as? String, "s2")
        XCTAssertEqual(try store.info(of: try ws.resolve("main")).stateHash, try store.info(of: e2).stateHash)
        XCTAssertEqual(Set(try ws.liveEdits(at: "main").map(\.id)), ["e1", "e2"])
    }

    func testCherryPickRefusesWhatItCannotApplyAndMovesNothing() throws {
        let (repo, ws, e1, e2, s1, _) = try twoBranches()
        let root = try ws.store.repository.log(from: e1).last!
        let revertOnSide = try ws.revert(s1.hex, on: "side").commit
        try ws.store.repository.createBranch("merged", at: e2)
        let merge = try XCTUnwrap(try ws.merge("side", into: "merged", repair: false).mergeCommit)
        try ws.store.repository.createBranch("same", at: e1)
        let same = try ws.edit(EditRequest(id: "dup", prompt: "Fact 2  is", target: " v2"), on: "same").commit
        try ws.store.repository.createBranch("other", at: e1)
        let other = try ws.edit(EditRequest(id: "o2", prompt: "fact 2 is", target: " nope"), on: "other").commit
        let tip = try git(repo, ["rev-parse", "main"])

        XCTAssertFailed(try ElderProcess.run(["cherry-pick", root.hex], in: repo), status: 128, containing: "root commit")
        XCTAssertFailed(try ElderProcess.run(["cherry-pick", merge.hex], in: repo), status: 128, containing: "is a merge")
        XCTAssertFailed(try ElderProcess.run(["cherry-pick", revertOnSide.hex], in: repo), status: 128, containing: "also took out edit s1")
        XCTAssertFailed(try ElderProcess.run(["cherry-pick", same.hex], in: repo), status: 128, containing: "already teaches")
        XCTAssertFailed(try ElderProcess.run(["cherry-pick", "nope"], in: repo), status: 128, containing: "nope")
        // Another answer to a live edit's prompt: a conflict, reported as merge reports one.
        let conflict = try ElderProcess.run(["cherry-pick", other.hex, "--json"], in: repo)
        XCTAssertFailed(conflict, status: 1, containing: "conflict")
        let report = try conflict.json()
        XCTAssertEqual(report["committed"] as? Bool, false)
        let pairs = try XCTUnwrap(report["conflicts"] as? [[String: Any]])
        XCTAssertEqual(pairs.count, 1)
        XCTAssertEqual(pairs.first?["reason"] as? String, "same-prompt")
        XCTAssertEqual((pairs.first?["ours"] as? [String: Any])?["editID"] as? String, "e2")
        XCTAssertEqual((pairs.first?["ours"] as? [String: Any])?["commit"] as? String, e2.hex)
        XCTAssertEqual((pairs.first?["theirs"] as? [String: Any])?["editID"] as? String, "o2")
        XCTAssertEqual(try git(repo, ["rev-parse", "main"]), tip)
    }

    /// A picked edit that shares its whole allocation with live edits (two LoRAs per layer, both used by
    /// every edit) is retrained in a repair commit after the exact pick.
    func testAPickedEditThatSharesItsLoRAsIsRepaired() throws {
        let (repo, ws, _, e2, s1, _) = try twoBranches(settings: ["experts=2"])
        let run = try ElderProcess.run(["cherry-pick", s1.hex, "--json"], in: repo)
        XCTAssertSucceeded(run)
        let json = try run.json()
        let commit = try XCTUnwrap(json["commit"] as? String)
        XCTAssertEqual(json["allocationCollisions"] as? [String], ["e1", "e2"], run.stdout)
        XCTAssertEqual(json["sharedSlots"] as? Int, json["totalSlots"] as? Int)
        let repair = try XCTUnwrap(json["repair"] as? [String: Any], run.stdout)
        XCTAssertEqual(repair["repaired"] as? [String], ["s1"])
        let repairCommit = try XCTUnwrap(repair["commit"] as? String)
        XCTAssertEqual(json["tip"] as? String, repairCommit)
        XCTAssertEqual(try git(repo, ["rev-list", "--parents", "-n", "1", "main"]), "\(repairCommit) \(commit)")
        XCTAssertEqual(try git(repo, ["rev-list", "--parents", "-n", "1", commit]), "\(commit) \(e2.hex)")
        XCTAssertEqual(try git(repo, ["log", "-1", "--format=%(trailers:key=Repairs,valueonly)", "main"]), commit)
        XCTAssertEqual(try git(repo, ["log", "-1", "--format=%(trailers:key=Cherry-Picked-From,valueonly)", commit]), s1.hex)
        XCTAssertEqual(repair["stillDropped"] as? [String], [])
    }

    /// Merging the branch an edit was picked from, later, both ways: the edit is there once (no conflict,
    /// its delta not added twice), as git merges a cherry-picked change cleanly.
    func testMergingThePickedBranchCountsTheEditOnce() throws {
        let (repo, ws, e1, _, s1, s2) = try twoBranches()
        XCTAssertSucceeded(try ElderProcess.run(["cherry-pick", s2.hex, "--no-repair", "-q"], in: repo))
        try ws.store.repository.createBranch("side-copy", at: s2)
        let ours = try ws.resolve("main")
        let merged = try ElderProcess.run(["merge", "side", "--no-repair", "--json"], in: repo)
        XCTAssertSucceeded(merged)
        XCTAssertEqual(try merged.json()["kind"] as? String, "merge")
        XCTAssertEqual(try merged.json()["theirsAdded"] as? [String], ["s1"])
        XCTAssertEqual(Set(try ws.liveEdits(at: "main").map(\.id)), ["e1", "e2", "s1", "s2"])
        // merged − ours == (side − base) − s2's delta == s1's delta alone, in grid units.
        let store = ws.store
        let change = try store.gridState(of: try ws.resolve("main")).difference(from: try store.gridState(of: ours))
        let s1Delta = try store.delta(of: s1)
        XCTAssertEqual(change.tensors.filter { !$0.value.isZero }, s1Delta.tensors.filter { !$0.value.isZero })
        XCTAssertEqual(change.routers.filter { !$0.value.isZero }, s1Delta.routers.filter { !$0.value.isZero })

        // The other way: the side branch merges main (which holds the pick): main's e2 comes in, s2 once.
        let theirs = try ws.merge(ours.hex, into: "side-copy", repair: false)
        XCTAssertEqual(theirs.kind, .merge)
        XCTAssertEqual(theirs.theirsAdded, ["e2"])
        let sideChange = try store.gridState(of: theirs.tip).difference(from: try store.gridState(of: s2))
        let e2Delta = try store.gridState(of: try ws.resolve("main~2")).difference(from: try store.gridState(of: e1))
        XCTAssertEqual(sideChange.tensors.filter { !$0.value.isZero }, e2Delta.tensors.filter { !$0.value.isZero })
    }
}
