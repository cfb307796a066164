import ElderTestSupport
import Foundation
import XCTest

/// The export's reference loader (`elder_route.py`: PyTorch + transformers reading the GGUF) against
/// `elder ask` on the real SmolLM2 model: a 20-edit repo from Samples/edits/wikidata-50.jsonl, its
/// edited prompts, held-out wordings never trained on, and unrelated prompts, answered token for token
/// alike. Skipped under ELDER_FAST; needs torch, transformers, accelerate, gguf and safetensors (.ci/install-loader-deps.sh).
final class ExportLoaderRealModelTests: XCTestCase {
    func testLoaderAnswersAsElderAskOnTwentyEdits() throws {
        let model = try RealModel.requirePath()
        try requireLoaderPackages()
        let parent = TinyRepo.folder()
        let repo = parent + "/facts"
        XCTAssertSucceeded(try ElderProcess.run(["init", repo, "--model", model, "-q"], in: parent))

        let lines = try String(contentsOf: RealModel.packageFile("Samples/edits/wikidata-50.jsonl"), encoding: .utf8)
            .split(separator: "\n").prefix(20).map(String.init)
        let records = try lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: parent + "/edits.jsonl", atomically: true, encoding: .utf8)
        XCTAssertSucceeded(try ElderProcess.run(["edit", "--file", parent + "/edits.jsonl", "-q"], in: repo))

        let out = parent + "/export"
        let export = try ElderProcess.run(["export", "--out", out, "--json"], in: repo)
        XCTAssertSucceeded(export)
        XCTAssertEqual(try export.json()["adapters"] as? Int, 20)
        let bytes = try export.json()["bytes"] as? Int ?? 0

        // 20 edited prompts, 10 held-out wordings, 10 unrelated prompts (the records' locality probes, other subjects).
        let edited = records.compactMap { $0["prompt"] as? String }
        let heldOut = records.prefix(10).compactMap { ($0["heldout"] as? [String])?.first }
        let unrelated = records.suffix(10).compactMap { (($0["probes"] as? [[String: Any]])?.first?["prompt"] as? String) }
        let prompts = edited + heldOut + unrelated
        XCTAssertEqual(prompts.count, 40)
        try (prompts.joined(separator: "\n") + "\n").write(toFile: parent + "/prompts.txt", atomically: true, encoding: .utf8)

        var elder: [(tokens: [Int], fired: Bool)] = []
        for prompt in prompts {
            let ask = try ElderProcess.run(["ask", prompt, "--json"], in: repo)
            XCTAssertSucceeded(ask)
            let json = try ask.json()
            elder.append((json["tokens"] as? [Int] ?? [], (json["routing"] as? [String: Any])?["fired"] as? Bool ?? false))
        }
        let started = Date()
        // One PyTorch thread, as the tests give BLAS one: on the shared 2 cores, two spinning OpenMP threads made
        // each forward pass about 10 times slower.
        let loader = try ElderProcess.run(["python3", out + "/elder_route.py", out, "--model", model, "--prompts", parent + "/prompts.txt",
                                           "--json"], in: parent, environment: ["OMP_NUM_THREADS": "1"], executable: "/usr/bin/env")
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(loader.status, 0, loader.stderr)
        let answers = try loader.stdout.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(answers.count, prompts.count, loader.stderr)
        var agree = 0
        for (i, (prompt, answer)) in zip(prompts, answers).enumerated() {
            XCTAssertEqual(answer["prompt"] as? String, prompt)
            let tokens = answer["tokens"] as? [Int] ?? []
            let fired = (answer["routing"] as? [String: Any])?["fired"] as? Bool ?? false
            XCTAssertEqual(fired, elder[i].fired, "routing of \"\(prompt)\"")
            XCTAssertEqual(tokens, elder[i].tokens, "tokens of \"\(prompt)\"")
            if tokens == elder[i].tokens { agree += 1 }
        }
        // The prompts exercise both sides of the rule: every edit fires, the unrelated prompts defer.
        XCTAssertEqual(elder.prefix(20).filter { $0.fired }.count, 20)
        XCTAssertEqual(elder.suffix(10).filter { $0.fired }.count, 0)
        print(String(format: "MEASURED: export of 20 edits %.2f MB; elder_route.py agreed with elder ask on %d of %d prompts "
                     + "(%d fired), token for token; loader %.0f s for all (model load included)",
                     Double(bytes) / 1e6, agree, prompts.count, elder.filter { $0.fired }.count, seconds))
    }

    /// Fails under CI (which installs them), skips elsewhere, when the loader's Python packages are missing.
    private func requireLoaderPackages() throws {
        let check = try ElderProcess.run(["python3", "-c", "import torch, transformers, accelerate, gguf, safetensors, numpy"],
                                         in: NSTemporaryDirectory(), executable: "/usr/bin/env")
        guard check.status == 0 else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                XCTFail("the loader's Python packages are missing: bash .ci/install-loader-deps.sh")
            }
            throw XCTSkip("torch, transformers, accelerate, gguf or safetensors is missing for python3 (bash .ci/install-loader-deps.sh)")
        }
    }
}
