import ElderTestSupport
import XCTest

/// `elder clone`, `push` and `pull` against a real `git daemon` on 127.0.0.1 and against file:// URLs.
final class RemoteCommandTests: XCTestCase {
    private func status(_ repo: String) throws -> [String: Any] {
        let run = try ElderProcess.run(["status", "--json", "--model", TinyRepo.modelPath], in: repo)
        XCTAssertSucceeded(run)
        return try run.json()
    }

    func testPushCloneEditPushPullOverGitDaemonGivesTheSameState() throws {
        let parent = TinyRepo.folder()
        let origin = try TinyRepo.make()
        try TinyEdits.commit([(" The capital of Zorbia is", " Quell")], in: origin)
        let server = parent + "/server"
        try FileManager.default.createDirectory(atPath: server, withIntermediateDirectories: true)
        XCTAssertEqual(try GitCLI.invoke(["init", "--bare", "-q", server + "/facts.git"], includingErrors: true).status, 0)
        let daemon = try GitDaemon.start(base: server)
        defer { daemon.stop() }

        // Push the first repo to the (empty) server by URL.
        XCTAssertSucceeded(try ElderProcess.run(["push", daemon.url("facts.git"), "main"], in: origin))
        let originHead = try GitCLI.invoke(["--git-dir", origin, "rev-parse", "main"], includingErrors: true).output
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", server + "/facts.git", "rev-parse", "main"], includingErrors: true).output, originHead)

        // Two clones over git://.
        let alice = parent + "/alice", bob = parent + "/bob"
        let clone = try ElderProcess.run(["clone", daemon.url("facts.git"), alice, "--model", TinyRepo.modelPath, "--json"], in: parent)
        XCTAssertSucceeded(clone)
        XCTAssertEqual(try clone.json()["head"] as? String, originHead)
        XCTAssertEqual(try clone.json()["liveEdits"] as? Int, 1)
        // The server was made by `git init --bare` (HEAD on an unborn master): the clone checks out main.
        XCTAssertEqual(try clone.json()["branch"] as? String, "main")
        XCTAssertSucceeded(try ElderProcess.run(["clone", daemon.url("facts.git"), bob, "--model", TinyRepo.modelPath], in: parent))
        // The clone opens without --model: its local config records the model.
        XCTAssertSucceeded(try ElderProcess.run(["eval", "--no-require-edits"], in: alice))  // it opens; whether tiny edits hold is not this test's

        // Alice edits and pushes; Bob pulls and has the very same version.
        let edit = try TinyEdits.commit([(" The river of Zorbia is", " Vell")], in: alice)[0]
        let push = try ElderProcess.run(["push", "--json"], in: alice)
        XCTAssertSucceeded(push)
        XCTAssertEqual(try push.json()["commit"] as? String, edit.commit.hex)
        XCTAssertEqual(try push.json()["previous"] as? String, originHead)
        let pull = try ElderProcess.run(["pull", "--json"], in: bob)
        XCTAssertSucceeded(pull)
        XCTAssertEqual(try pull.json()["outcome"] as? String, "fast-forward")
        XCTAssertEqual(try pull.json()["newCommits"] as? Int, 1)
        XCTAssertEqual(try pull.json()["stateHash"] as? String, edit.stateHash)
        let bobStatus = try status(bob), aliceStatus = try status(alice)
        XCTAssertEqual(bobStatus["head"] as? String, edit.commit.hex)
        XCTAssertEqual(bobStatus["head"] as? String, aliceStatus["head"] as? String)
        XCTAssertEqual(bobStatus["liveEdits"] as? Int, 2)
        // Rebuilt independently in Bob's repo: the state hash Alice committed.
        XCTAssertEqual(try TinyEdits.stateHash(bob), edit.stateHash)
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", bob, "log", "--format=%H", "main"], includingErrors: true).output,
                       try GitCLI.invoke(["--git-dir", alice, "log", "--format=%H", "main"], includingErrors: true).output)
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", server + "/facts.git", "fsck", "--strict"], includingErrors: true).status, 0)
        // Pulling again changes nothing.
        let again = try ElderProcess.run(["pull", "--json"], in: bob)
        XCTAssertEqual(try again.json()["outcome"] as? String, "up-to-date")

        // Bob edits without pulling Alice's next edit: his push is refused, his pull says the histories diverged.
        try TinyEdits.commit([(" The mountain of Zorbia is", " Pask")], in: alice)
        XCTAssertSucceeded(try ElderProcess.run(["push"], in: alice))
        try TinyEdits.commit([(" The lake of Zorbia is", " Mirr")], in: bob)
        XCTAssertFailed(try ElderProcess.run(["push"], in: bob), status: 1, containing: "elder pull")
        let bobTip = try GitCLI.invoke(["--git-dir", bob, "rev-parse", "main"], includingErrors: true).output
        XCTAssertFailed(try ElderProcess.run(["pull", "--ff-only"], in: bob), status: 1, containing: "diverged (1 local, 1 remote commits)")
        XCTAssertFailed(try ElderProcess.run(["pull", "--ff-only"], in: bob), status: 1, containing: "elder merge origin/main")
        // The fetched branch is there to merge: it is Alice's tip. Nothing moved on either side.
        let aliceTip = try GitCLI.invoke(["--git-dir", alice, "rev-parse", "main"], includingErrors: true).output
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", bob, "rev-parse", "origin/main"], includingErrors: true).output, aliceTip)
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", bob, "rev-parse", "main"], includingErrors: true).output, bobTip)
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", server + "/facts.git", "rev-parse", "main"], includingErrors: true).output, aliceTip)
        // A plain pull merges (both edits live), Bob pushes the merge, Alice fast-forwards to the same state.
        let merged = try ElderProcess.run(["pull", "--json"], in: bob)
        XCTAssertSucceeded(merged)
        XCTAssertEqual(try merged.json()["outcome"] as? String, "merged")
        let mergedTip = try XCTUnwrap(try merged.json()["to"] as? String)
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", bob, "rev-parse", "main"], includingErrors: true).output, mergedTip)
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", bob, "merge-base", "--is-ancestor", aliceTip, "main"], includingErrors: true).status, 0)
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", bob, "merge-base", "--is-ancestor", bobTip, "main"], includingErrors: true).status, 0)
        XCTAssertEqual(try status(bob)["liveEdits"] as? Int, 4)
        XCTAssertSucceeded(try ElderProcess.run(["push"], in: bob))
        let follow = try ElderProcess.run(["pull", "--json"], in: alice)
        XCTAssertEqual(try follow.json()["outcome"] as? String, "fast-forward")
        XCTAssertEqual(try status(alice)["head"] as? String, mergedTip)
        XCTAssertEqual(try TinyEdits.stateHash(alice), try merged.json()["stateHash"] as? String)
        XCTAssertEqual(try TinyEdits.stateHash(alice), try TinyEdits.stateHash(bob))
    }

    func testCloneAndPullThroughFileURLsAndTheModelCache() throws {
        let parent = TinyRepo.folder()
        let origin = try TinyRepo.make()
        try TinyEdits.commit([(" The capital of Zorbia is", " Quell")], in: origin)
        // No --model: the clone finds the model in the cache (ELDER_MODELS) by file name.
        let cache = (TinyRepo.modelPath as NSString).deletingLastPathComponent
        let copy = parent + "/copy"
        let clone = try ElderProcess.run(["clone", "file://" + origin, copy, "--json"], in: parent, environment: ["ELDER_MODELS": cache])
        XCTAssertSucceeded(clone)
        XCTAssertEqual(try clone.json()["modelPath"] as? String, cache + "/tiny-llama.gguf")
        XCTAssertSucceeded(try ElderProcess.run(["eval", "--no-require-edits"], in: copy, environment: ["ELDER_MODELS": cache]))
        // A clone keeps a reflog, as a new repo does (git's bare default is none).
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", copy, "config", "core.logAllRefUpdates"], includingErrors: true).output, "true")
        // Without the cache and without --model, the clone still succeeds and says how to give the model.
        let other = parent + "/other"
        let blind = try ElderProcess.run(["clone", "file://" + origin, other], in: parent, environment: ["ELDER_MODELS": parent + "/empty"])
        XCTAssertSucceeded(blind)
        XCTAssertTrue(blind.stdout.contains("--model PATH"), blind.stdout)

        let edits = try TinyEdits.commit([(" The river of Zorbia is", " Vell"), (" The sea of Zorbia is", " Ost")], in: origin)
        let pull = try ElderProcess.run(["pull", "origin", "main", "--json"], in: copy)
        XCTAssertSucceeded(pull)
        XCTAssertEqual(try pull.json()["to"] as? String, edits[1].commit.hex)
        XCTAssertEqual(try pull.json()["newCommits"] as? Int, 2)
        XCTAssertEqual(try TinyEdits.stateHash(copy), edits[1].stateHash)
        // Pull by URL (no configured remote) from a second copy of the origin.
        let mirror = parent + "/mirror.git"
        XCTAssertEqual(try GitCLI.invoke(["clone", "--bare", "-q", origin, mirror], includingErrors: true).status, 0)
        let third = try TinyEdits.commit([(" The king of Zorbia is", " Ard")], in: origin)[0]
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", mirror, "fetch", "-q", origin, "main:main"], includingErrors: true).status, 0)
        let byURL = try ElderProcess.run(["pull", "file://" + mirror, "main", "--json"], in: copy)
        XCTAssertSucceeded(byURL)
        XCTAssertEqual(try byURL.json()["to"] as? String, third.commit.hex)
        XCTAssertEqual(try TinyEdits.stateHash(copy), third.stateHash)
        // Push back over file:// after a local edit; git sees it in the origin.
        let mine = try TinyEdits.commit([(" The flag of Zorbia is", " Blue")], in: copy)[0]
        XCTAssertSucceeded(try ElderProcess.run(["push", "origin"], in: copy))
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", origin, "rev-parse", "main"], includingErrors: true).output, mine.commit.hex)
        // Ahead of the remote-tracking branch after a pull: nothing to do.
        XCTAssertEqual(try ElderProcess.run(["pull", "--json"], in: copy).json()["outcome"] as? String, "up-to-date")
    }

    func testHelpOfTheNewCommandsExitsZeroWithAnExample() throws {
        for command in ["clone", "push", "pull", "diff", "eval", "export", "reset", "cherry-pick"] {
            let help = try ElderProcess.run([command, "--help"], in: "/")
            XCTAssertSucceeded(help)
            XCTAssertTrue(help.stdout.contains("elder \(command)"), "\(command): \(help.stdout)")
        }
        let root = try ElderProcess.run(["--help"], in: "/")
        for command in ["clone", "push", "pull", "diff", "eval", "export", "reset", "cherry-pick"] {
            XCTAssertTrue(root.stdout.contains("  \(command) "), "\(command) listed in elder --help")
        }
    }

    func testRemoteErrorsAreOneLineWithGitExitCodes() throws {
        let parent = TinyRepo.folder()
        let origin = try TinyRepo.make()
        // Clone of something that is not a knowledge repo: fatal, and nothing left behind.
        XCTAssertEqual(try GitCLI.invoke(["init", "--bare", "-q", parent + "/plain.git"], includingErrors: true).status, 0)
        let plainClone = parent + "/plain-clone"
        let notElder = try ElderProcess.run(["clone", parent + "/plain.git", plainClone], in: parent)
        XCTAssertNotEqual(notElder.status, 0)
        XCTAssertEqual(notElder.stderr.split(whereSeparator: \.isNewline).count, 1, notElder.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: plainClone))
        // A folder that is not empty.
        XCTAssertFailed(try ElderProcess.run(["clone", origin, origin, "--model", TinyRepo.modelPath], in: parent),
                        status: 128, containing: "not empty")
        // A model file that is not the repo's.
        let wrongModel = parent + "/wrong.gguf"
        try TinyCheckpoint.make(seed: 99, layers: 4).writeGGUF(to: wrongModel)
        XCTAssertFailed(try ElderProcess.run(["clone", origin, parent + "/w", "--model", wrongModel], in: parent),
                        status: 128, containing: "sha256")
        XCTAssertFalse(FileManager.default.fileExists(atPath: parent + "/w/HEAD"))
        // Unknown remote names, unknown branches, unreachable servers.
        XCTAssertFailed(try ElderProcess.run(["pull", "nowhere"], in: origin), status: 128, containing: "no remote 'nowhere'")
        XCTAssertFailed(try ElderProcess.run(["push", "nowhere"], in: origin), status: 128, containing: "no remote 'nowhere'")
        XCTAssertFailed(try ElderProcess.run(["push", "file://" + parent + "/plain.git", "nosuch"], in: origin),
                        status: 128, containing: "no branch nosuch")
        let copy = parent + "/copy"
        XCTAssertSucceeded(try ElderProcess.run(["clone", origin, copy, "--model", TinyRepo.modelPath], in: parent))
        XCTAssertFailed(try ElderProcess.run(["pull", "origin", "nosuch"], in: copy), status: 128, containing: "origin has no branch nosuch")
        XCTAssertFailed(try ElderProcess.run(["clone", "git://127.0.0.1:9/none.git", parent + "/x"], in: parent),
                        status: 1, containing: "clone")
        // A repo of another model cannot be pulled in.
        let stranger = try TinyRepo.make("stranger", extra: ["--set", "rank=4"])
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", copy, "remote", "add", "stranger", stranger], includingErrors: true).status, 0)
        XCTAssertFailed(try ElderProcess.run(["pull", "stranger", "main"], in: copy), status: 1, containing: "share no history")
    }
}
