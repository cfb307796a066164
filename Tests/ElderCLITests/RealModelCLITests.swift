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
        // The fluency check `elder edit` reports: the edited answer beside the base model's own greedy
        // continuation of prompt + target, which `elder generate` gives independently.
        let fluency = try XCTUnwrap(try edit.json()["fluency"] as? [String: Any], edit.stdout)
        let baseRun = try ElderProcess.run(["generate", prompt + " Lyon", "--model", model, "--max-tokens", "8"], in: repo)
        XCTAssertSucceeded(baseRun)
        let base = baseRun.stdout.hasSuffix("\n") ? String(baseRun.stdout.dropLast()) : baseRun.stdout
        XCTAssertEqual(fluency["baseContinuation"] as? String, base)
        let check = try XCTUnwrap(fluency["check"] as? [String: Any])
        let answerText = try XCTUnwrap(fluency["answer"] as? String)
        XCTAssertEqual(check["answered"] as? Bool, answerText.hasPrefix(" Lyon"))
        XCTAssertEqual(check["continuationAgrees"] as? Bool, answerText == " Lyon" + base, "answer \(answerText) base \(base)")
        XCTAssertEqual(check["repeatsTarget"] as? Bool, false, answerText)
        let shown = try ElderProcess.run(["show", "HEAD"], in: repo)
        XCTAssertTrue(shown.stdout.contains("answer: \"" + answerText.replacingOccurrences(of: "\n", with: "\\n")), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("repeated bigrams"), shown.stdout)
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

    /// `--probes` on the real model with the 100 locality probes of Samples/probes plus "The capital of
    /// France is" → " Paris": the Lyon edit is refused (it breaks exactly that probe), an unrelated edit lands
    /// with no probe broken, and a dry run commits nothing.
    func testProbeGateOnTheRealModel() throws {
        let model = try RealModel.requirePath()
        let parent = TinyRepo.folder()
        let repo = parent + "/facts"
        XCTAssertSucceeded(try ElderProcess.run(["init", repo, "--model", model, "-q"], in: parent))
        let locality = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Samples/probes/locality.jsonl").path
        let probes = parent + "/probes.jsonl"
        try (try String(contentsOfFile: locality, encoding: .utf8) + #"{"prompt":"The capital of France is","expected":" Paris"}"# + "\n")
            .write(toFile: probes, atomically: true, encoding: .utf8)
        let head = try GitCLI.lines(["rev-parse", "HEAD"], in: repo)

        let refused = try ElderProcess.run(["edit", "The capital of France is", " Lyon", "--probes", probes], in: repo)
        XCTAssertFailed(refused, status: 1, containing: "breaks 1 probe that passed before it")
        XCTAssertTrue(refused.stderr.contains(#""The capital of France is" no longer answers " Paris""#), refused.stderr)
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), head)

        let dry = try ElderProcess.run(["edit", "The CEO of Acme is", " Jane Doe", "--probes", probes, "--dry-run", "--json"], in: repo)
        XCTAssertSucceeded(dry)
        XCTAssertEqual(try dry.json()["dryRun"] as? Bool, true)
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), head)

        let plain = try ElderProcess.run(["edit", "The CEO of Acme is", " Jane Doe", "--dry-run", "--json"], in: repo)
        let landed = try ElderProcess.run(["edit", "The CEO of Acme is", " Jane Doe", "--probes", probes, "--json"], in: repo)
        XCTAssertSucceeded(landed)
        let json = try landed.json()
        XCTAssertEqual(json["holds"] as? Bool, true)
        let checked = try XCTUnwrap(json["probes"] as? [[String: Any]])
        XCTAssertEqual(checked.count, 101)
        XCTAssertEqual(checked.filter { $0["before"] as? Bool == true && $0["after"] as? Bool == false }.count, 0)
        XCTAssertNotEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), head)
        let passedBefore = checked.filter { $0["before"] as? Bool == true }.count
        print(String(format: "MEASURED: probe gate, 101 probes (%d pass at the tip): edit %.1f s gated vs %.1f s dry run without probes",
                     passedBefore, json["seconds"] as? Double ?? 0, try plain.json()["seconds"] as? Double ?? 0))
    }
}
