import ElderTestSupport
import XCTest

/// `elder init` and `elder status`, and the errors every repo command shares.
final class InitStatusTests: XCTestCase {
    func testInitThenStatusInsideTheRepo() throws {
        let repo = try TinyRepo.make()
        let status = try ElderProcess.run(["status", "--json"], in: repo)
        XCTAssertSucceeded(status)
        let json = try status.json()
        XCTAssertEqual(json["branch"] as? String, "main")
        XCTAssertEqual(json["liveEdits"] as? Int, 0)
        XCTAssertEqual(json["model"] as? String, "tiny-llama.gguf")
        XCTAssertEqual(json["method"] as? String, "elder")
        // The repo is a real git repository: git sees the same HEAD.
        let head = try GitCLI.lines(["rev-parse", "HEAD"], in: repo).first
        XCTAssertEqual(json["head"] as? String, head)
        // From a subfolder of the repo (git finds it the same way), and with -C from elsewhere.
        XCTAssertSucceeded(try ElderProcess.run(["status"], in: repo + "/refs"))
        XCTAssertSucceeded(try ElderProcess.run(["status", "-C", repo], in: "/"))
    }

    func testStatusOutsideARepoIsFatal() throws {
        let run = try ElderProcess.run(["status"], in: TinyRepo.folder())
        XCTAssertFailed(run, status: 128, containing: "not an Elder knowledge repo")
    }

    func testInitRefusesANonEmptyFolderAndAnUnknownModel() throws {
        let repo = try TinyRepo.make()
        XCTAssertFailed(try ElderProcess.run(["init", repo, "--model", TinyRepo.modelPath], in: "/"),
                        status: 128, containing: "not empty")
        XCTAssertFailed(try ElderProcess.run(["init", TinyRepo.folder() + "/x", "--model", "/nonexistent/model.gguf"], in: "/"),
                        status: 128, containing: "model.gguf")
        XCTAssertFailed(try ElderProcess.run(["init", TinyRepo.folder() + "/y", "--model", TinyRepo.modelPath, "--method", "magic"], in: "/"),
                        status: 128, containing: "unknown method")
    }

    func testUsageErrorsExit128AndHelpExits0() throws {
        XCTAssertEqual(try ElderProcess.run(["init"], in: "/").status, 128)
        XCTAssertEqual(try ElderProcess.run(["no-such-command"], in: "/").status, 128)
        let help = try ElderProcess.run(["--help"], in: "/")
        XCTAssertSucceeded(help)
        XCTAssertTrue(help.stdout.contains("init"))
    }
}
