import Elder
import ElderTestSupport
import Foundation
import XCTest

/// Every commit that makes an edit says its prompt and target in `Prompt:` / `Target:` trailers, whatever
/// its message (`-m`), as `git interpret-trailers` parses them: JSON strings, so the target's leading space stays.
final class CommitMessageTrailersTests: XCTestCase {
    func trailer(_ key: String, in repo: String, _ revision: String = "HEAD") throws -> String? {
        let value = try GitCLI.run(["log", "-1", "--format=%(trailers:key=\(key),valueonly,unfold)", revision], in: repo).output
        guard !value.isEmpty else { return nil }
        return try JSONDecoder().decode(String.self, from: Data(value.utf8))
    }

    func testEditCommitsCarryPromptAndTargetTrailersEvenWithAMessage() throws {
        let repo = try TinyRepo.make()
        XCTAssertSucceeded(try ElderProcess.run(["edit", "The capital of France is", " Lyon", "-m", "France moved\n\nSource: a test"], in: repo))
        XCTAssertEqual(try trailer("Prompt", in: repo), "The capital of France is")
        XCTAssertEqual(try trailer("Target", in: repo), " Lyon")
        // git interpret-trailers finds them in the message's last paragraph, beside the store's own.
        let message = try GitCLI.run(["log", "-1", "--format=%B"], in: repo).output
        let parsed = try GitCLI.execute(["interpret-trailers", "--parse"], input: message + "\n")
        XCTAssertEqual(parsed.status, 0)
        let keys = parsed.stdout.split(separator: "\n").compactMap { $0.split(separator: ":").first.map(String.init) }
        XCTAssertTrue(keys.starts(with: ["Elder-Edit", "Prompt", "Target"]), parsed.stdout)
        XCTAssertTrue(keys.contains("Elder-State"), parsed.stdout)
        XCTAssertTrue(message.hasPrefix("France moved\n\nSource: a test\n\n"), message)

        // A prompt with a quote and a line break stays one trailer line, read back exactly.
        XCTAssertSucceeded(try ElderProcess.run(["edit", "He said \"hi\"\nthen", " bye", "-m", "quoted"], in: repo))
        XCTAssertEqual(try trailer("Prompt", in: repo), "He said \"hi\"\nthen")
        XCTAssertEqual(try trailer("Target", in: repo), " bye")

        // A cherry-pick makes the picked edit: it says so too; a revert makes none.
        XCTAssertSucceeded(try ElderProcess.run(["branch", "side", "HEAD~1"], in: repo))
        XCTAssertSucceeded(try ElderProcess.run(["checkout", "side"], in: repo))
        XCTAssertSucceeded(try ElderProcess.run(["cherry-pick", "main", "--no-repair"], in: repo))
        XCTAssertEqual(try trailer("Prompt", in: repo), "He said \"hi\"\nthen")
        XCTAssertSucceeded(try ElderProcess.run(["revert", "HEAD"], in: repo))
        XCTAssertNil(try trailer("Prompt", in: repo))
    }
}
