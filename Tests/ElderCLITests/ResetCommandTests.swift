import Elder
import ElderEditing
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// `elder reset`: the current branch moves, git agrees, ORIG_HEAD and the reflog undo it, and the commits
/// it leaves behind are named.
final class ResetCommandTests: XCTestCase {
    func git(_ repo: String, _ args: [String]) throws -> String { try GitCLI.run(args, in: repo).output }

    func testResetMovesTheBranchAndOrigHeadUndoesIt() throws {
        let repo = try TinyRepo.make()
        let ws = try Workspace.open(at: repo, model: TinyRepo.modelPath)
        let c = try (1...3).map { try ws.edit(EditRequest(id: "e\($0)", prompt: "fact \($0) is", target: " v\($0)")).commit }
        XCTAssertEqual(try git(repo, ["config", "core.logAllRefUpdates"]), "true")

        let run = try ElderProcess.run(["reset", "HEAD~2", "--json"], in: repo)
        XCTAssertSucceeded(run)
        let json = try run.json()
        XCTAssertEqual(json["from"] as? String, c[2].hex)
        XCTAssertEqual(json["to"] as? String, c[0].hex)
        XCTAssertEqual(json["orphaned"] as? [String], [c[2].hex, c[1].hex])
        XCTAssertEqual(try git(repo, ["rev-parse", "main"]), c[0].hex)
        XCTAssertEqual(try git(repo, ["rev-parse", "ORIG_HEAD"]), c[2].hex)
        XCTAssertEqual(try git(repo, ["reflog", "show", "--format=%gs", "-1", "main"]), "elder reset: moving to HEAD~2")
        XCTAssertEqual(Set(try ws.liveEdits(at: "main").map(\.id)), ["e1"])
        XCTAssertEqual(try GitCLI.run(["fsck", "--strict"], in: repo).status, 0)

        // Undo: back to the old tip, nothing orphaned; the human line is git's.
        let undo = try ElderProcess.run(["reset", "ORIG_HEAD"], in: repo)
        XCTAssertSucceeded(undo)
        XCTAssertTrue(undo.stdout.hasPrefix("HEAD is now at \(c[2].short) "), undo.stdout)
        XCTAssertEqual(try git(repo, ["rev-parse", "main"]), c[2].hex)
        XCTAssertEqual(Set(try ws.liveEdits(at: "main").map(\.id)), ["e1", "e2", "e3"])
        // A tag keeps what it names reachable: nothing is reported orphaned; an edit after a reset goes on the new tip.
        XCTAssertSucceeded(try ElderProcess.run(["tag", "keep"], in: repo))
        let tagged = try ElderProcess.run(["reset", "--hard", "HEAD~1", "--json"], in: repo)
        XCTAssertSucceeded(tagged)
        XCTAssertEqual(try tagged.json()["orphaned"] as? [String], [])
        let next = try ws.edit(EditRequest(id: "e4", prompt: "fact 4 is", target: " v4")).commit
        XCTAssertEqual(try git(repo, ["rev-list", "--parents", "-n", "1", "main"]), "\(next.hex) \(c[1].hex)")
    }

    func testResetRefusesWhatItCannotDoAndMovesNothing() throws {
        let repo = try TinyRepo.make()
        let tip = try git(repo, ["rev-parse", "main"])
        XCTAssertFailed(try ElderProcess.run(["reset", "nope"], in: repo), status: 128, containing: "nope")
        XCTAssertFailed(try ElderProcess.run(["reset"], in: repo), status: 128, containing: "REV")
        XCTAssertEqual(try git(repo, ["rev-parse", "main"]), tip)
        XCTAssertSucceeded(try ElderProcess.run(["checkout", "HEAD~1"], in: repo))
        XCTAssertFailed(try ElderProcess.run(["reset", "HEAD"], in: repo), status: 128, containing: "HEAD is detached")
        XCTAssertEqual(try git(repo, ["rev-parse", "main"]), tip)
    }
}
