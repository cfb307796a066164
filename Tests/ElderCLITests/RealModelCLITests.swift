import ElderTestSupport
import Foundation
import XCTest

/// The product on the real SmolLM2 model, through the `elder` binary: init → edit → ask (new answer) →
/// revert → ask (old answer). Skipped under ELDER_FAST.
final class RealModelCLITests: XCTestCase {
    func testEditAskRevertAskOnTheRealModel() throws {
        let model = try RealModel.requirePath()
        let parent = TinyRepo.folder()
        let repo = parent + "/facts"
        XCTAssertSucceeded(try ElderProcess.run(["init", repo, "--model", model, "-q"], in: parent))
        let prompt = "The capital of France is"
        func answer() throws -> String {
            let run = try ElderProcess.run(["ask", prompt, "--max-tokens", "3", "--json"], in: repo)
            XCTAssertSucceeded(run)
            return try run.json()["answer"] as? String ?? ""
        }
        XCTAssertTrue(try answer().hasPrefix(" Paris"), "the base model should answer Paris")

        let edit = try ElderProcess.run(["edit", prompt, " Lyon", "-m", "France moved its capital", "--json"], in: repo)
        XCTAssertSucceeded(edit)
        XCTAssertEqual(try edit.json()["holds"] as? Bool, true)
        XCTAssertTrue(try answer().hasPrefix(" Lyon"), "after the edit the model should answer Lyon")
        let explained = try ElderProcess.run(["ask", prompt, "--explain"], in: repo)
        XCTAssertTrue(explained.stdout.contains("adapter fired"), explained.stdout)
        // An unrelated prompt is deferred to the base model.
        let other = try ElderProcess.run(["ask", "The capital of Germany is", "--json"], in: repo)
        XCTAssertEqual((try other.json()["routing"] as? [String: Any])?["fired"] as? Bool, false)

        let revert = try ElderProcess.run(["revert", "HEAD", "--json"], in: repo)
        XCTAssertSucceeded(revert)
        XCTAssertEqual(try revert.json()["answersAsBefore"] as? Bool, true)
        XCTAssertTrue(try answer().hasPrefix(" Paris"), "after the revert the model should answer Paris again")

        let log = try ElderProcess.run(["log", "--json"], in: repo)
        XCTAssertEqual(try log.objects("commits").compactMap { $0["commit"] as? String }, try GitCLI.lines(["log", "--format=%H"], in: repo))
    }
}
