import ElderTestSupport
import Foundation
import XCTest

/// The whole workflow on the real Gemma 3 270M through the `elder` binary: init (the method configured from
/// the model's depth), edit, log (against git), bisect (finds the edit that broke a probe), revert, merge
/// of a branch, export. Skipped under ELDER_FAST; fails under CI when the model is missing.
final class GemmaWorkflowCLITests: XCTestCase {
    func testInitEditLogBisectRevertMergeExportOnGemma() throws {
        let model = try RealGemma.requirePath()
        let parent = TinyRepo.folder()
        let repo = parent + "/facts"
        XCTAssertSucceeded(try ElderProcess.run(["init", repo, "--model", model, "-q"], in: parent))
        // elder.json: the method placed by the model's depth (18 blocks: adapted 12–17, query after block 4).
        let workspace = try XCTUnwrap(try readElderJSON(repo)["workspace"] as? [String: Any])
        let editor = try XCTUnwrap(workspace["editor"] as? [String: Any])
        XCTAssertEqual(editor["layers"] as? [Int], Array(12...17))
        XCTAssertEqual((editor["query"] as? [String: Any])?["layer"] as? Int, 4)
        func ask(_ prompt: String) throws -> String {
            let run = try ElderProcess.run(["ask", prompt, "--max-tokens", "4", "--json"], in: repo)
            XCTAssertSucceeded(run)
            return try run.json()["answer"] as? String ?? ""
        }
        func head() throws -> String { try GitCLI.lines(["rev-parse", "HEAD"], in: repo)[0] }
        let paris = "The capital of France is"
        let baseAnswer = try ask(paris)
        XCTAssertFalse(baseAnswer.hasPrefix(" Lyon"), baseAnswer)

        // Two edits on main, one on a branch. Fixed edit ids: an id made from the clock draws the edit's LoRAs
        // anew on every run, so whether an edit holds after a merge would change from run to run.
        let first = try ElderProcess.run(["edit", "The CEO of Acme is", " Jane Doe", "-m", "New CEO", "--id", "acme-ceo", "--json"], in: repo)
        XCTAssertSucceeded(first)
        XCTAssertEqual(try first.json()["holds"] as? Bool, true)
        let good = try head()
        XCTAssertSucceeded(try ElderProcess.run(["branch", "side"], in: repo))
        let lyon = try ElderProcess.run(["edit", paris, " Lyon", "-m", "France moved its capital", "--id", "france-capital", "--json"], in: repo)
        XCTAssertSucceeded(lyon)
        XCTAssertEqual(try lyon.json()["holds"] as? Bool, true)
        let lyonCommit = try head()
        XCTAssertTrue(try ask(paris).hasPrefix(" Lyon"))
        XCTAssertTrue(try ask("The CEO of Acme is").hasPrefix(" Jane Doe"))

        // log lists what git lists.
        let log = try ElderProcess.run(["log", "--json"], in: repo)
        XCTAssertEqual(try log.objects("commits").compactMap { $0["commit"] as? String }, try GitCLI.lines(["log", "--format=%H"], in: repo))

        // bisect finds the edit after which the base answer is gone.
        XCTAssertSucceeded(try ElderProcess.run(["bisect", "start", "HEAD", good], in: repo))
        let bisect = try ElderProcess.run(["bisect", "run", "--probe", paris, "--expect", baseAnswer, "--json"], in: repo)
        XCTAssertSucceeded(bisect)
        XCTAssertEqual(try bisect.json()["firstBad"] as? String, lyonCommit)
        XCTAssertSucceeded(try ElderProcess.run(["bisect", "reset"], in: repo))

        // revert takes the Lyon edit out and keeps the other.
        let revert = try ElderProcess.run(["revert", "HEAD", "--json"], in: repo)
        XCTAssertSucceeded(revert)
        XCTAssertEqual(try revert.json()["answersAsBefore"] as? Bool, true)
        XCTAssertEqual(try ask(paris), baseAnswer)
        XCTAssertTrue(try ask("The CEO of Acme is").hasPrefix(" Jane Doe"))

        // merge a branch whose edit main does not have.
        XCTAssertSucceeded(try ElderProcess.run(["checkout", "side"], in: repo))
        let mascot = try ElderProcess.run(["edit", "The mascot of Zorblax Industries is", " a purple fox", "-m", "Mascot",
                                           "--id", "zorblax-mascot", "--json"], in: repo)
        XCTAssertSucceeded(mascot)
        XCTAssertEqual(try mascot.json()["holds"] as? Bool, true)
        let sideTip = try head()
        XCTAssertSucceeded(try ElderProcess.run(["checkout", "main"], in: repo))
        let mainTip = try head()
        let merged = try ElderProcess.run(["merge", "side", "--json"], in: repo)
        XCTAssertSucceeded(merged)
        // The merge commit has both tips as parents. HEAD is that commit, or (when a live edit did not hold on
        // the merged state) the commit that retrained it, on top of the merge commit.
        func parents(_ commit: String) throws -> [String] {
            Array(try GitCLI.lines(["rev-list", "--parents", "-n", "1", commit], in: repo)[0].split(separator: " ").dropFirst().map(String.init))
        }
        let report = try merged.json()
        XCTAssertEqual(report["kind"] as? String, "merge", merged.stdout)
        let mergeCommit = try XCTUnwrap(report["mergeCommit"] as? String, merged.stdout)
        XCTAssertEqual(try parents(mergeCommit), [mainTip, sideTip], merged.stdout)
        if let repair = (report["repair"] as? [String: Any])?["commit"] as? String {
            XCTAssertEqual(try head(), repair, merged.stdout)
            XCTAssertEqual(try parents(repair), [mergeCommit], merged.stdout)
        } else {
            XCTAssertEqual(try head(), mergeCommit, merged.stdout)
        }
        XCTAssertTrue(try ask("The mascot of Zorblax Industries is").hasPrefix(" a purple fox"))
        XCTAssertTrue(try ask("The CEO of Acme is").hasPrefix(" Jane Doe"))

        // export: a PEFT adapter per live edit over the adapted blocks of Gemma's 18, the routing vectors, the loader.
        let out = parent + "/export"
        let export = try ElderProcess.run(["export", "HEAD", "--out", out, "--json"], in: repo)
        XCTAssertSucceeded(export)
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/elder-export.json"))) as? [String: Any])
        print("gemma export manifest keys: \(manifest.keys.sorted())")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out + "/edits").count, (manifest["edits"] as? [Any])?.count)
        for name in ["routing.safetensors", "README.md", "elder_route.py"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + name), name)
        }
    }

    private func readElderJSON(_ repo: String) throws -> [String: Any] {
        let text = try GitCLI.lines(["show", "HEAD:elder.json"], in: repo).joined(separator: "\n")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }
}
