import ElderTestSupport
import Foundation
import XCTest

/// What git users type: `-C DIR` before the subcommand, `log -n1` / `log -3`, shell completion scripts, and a
/// man page per command (docs/man, generated from the help).
final class GitHabitsTests: XCTestCase {
    static let manFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/man").path

    func testDashCBeforeTheSubcommandAndGitsLogCounts() throws {
        let repo = try TinyRepo.make()
        let parent = (repo as NSString).deletingLastPathComponent
        try TinyEdits.commit([("fact 1 is", " v1"), ("fact 2 is", " v2")], in: repo)
        let tip = try GitCLI.run(["rev-parse", "HEAD"], in: repo).output
        let gitTwo = try GitCLI.run(["log", "-2", "--format=%H"], in: repo).output.split(separator: "\n").map(String.init)
        func commits(_ run: ElderRun) throws -> [String] {
            XCTAssertSucceeded(run)
            return try XCTUnwrap(try run.json()["commits"] as? [[String: Any]]).compactMap { $0["commit"] as? String }
        }
        // -C before the subcommand, from anywhere; repeated -C are relative to the one before, as in git.
        XCTAssertEqual(try commits(try ElderProcess.run(["-C", repo, "log", "-n1", "--json"], in: "/")), [tip])
        XCTAssertEqual(try commits(try ElderProcess.run(["-C", parent, "-C", "facts", "log", "-2", "--json"], in: "/")), gitTwo)
        XCTAssertEqual(try commits(try ElderProcess.run(["log", "-n", "2", "--json"], in: repo)), gitTwo)
        XCTAssertEqual(try commits(try ElderProcess.run(["log", "--max-count=1", "--json"], in: repo)), [tip])
        // -C after the subcommand still works; a missing folder is one line, exit 128.
        XCTAssertEqual(try commits(try ElderProcess.run(["log", "-C", repo, "-n1", "--json"], in: "/")), [tip])
        XCTAssertFailed(try ElderProcess.run(["-C", parent + "/nowhere", "log"], in: "/"), status: 128, containing: "give -C an existing folder")
        XCTAssertFailed(try ElderProcess.run(["-C"], in: "/"), status: 128, containing: "-C needs a folder")
        // A prompt that looks like a count is left alone outside log, and after `--` in log.
        let run = try ElderProcess.run(["-C", repo, "ask", "--max-tokens", "1", "--", "-5"], in: "/")
        XCTAssertSucceeded(run)
    }

    func testCompletionScriptsForThreeShells() throws {
        let folder = TinyRepo.folder()
        for shell in ["bash", "zsh", "fish"] {
            let run = try ElderProcess.run(["completion", shell], in: folder)
            XCTAssertSucceeded(run, shell)
            for word in ["cherry-pick", "diff-driver", "verify", "completion"] {
                XCTAssertTrue(run.stdout.contains(word), "\(shell) script lacks \(word)")
            }
            if shell == "bash" {
                let path = folder + "/elder.bash"
                try Data(run.stdout.utf8).write(to: URL(fileURLWithPath: path))
                XCTAssertEqual(try GitCLI.shell("/bin/bash", ["-n", path]), 0, "bash -n: the script does not parse")
            }
        }
        XCTAssertFailed(try ElderProcess.run(["completion", "tcsh"], in: folder), status: 128, containing: "tcsh")
    }

    func testManPagesCoverEveryCommandWithItsHelp() throws {
        let help = try ElderProcess.run(["help"], in: "/")
        XCTAssertSucceeded(help)
        // The subcommands the help lists (indented name, two spaces or more, abstract).
        let names = help.stdout.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            let word = line.dropFirst(2).prefix { !$0.isWhitespace }
            return word.first?.isLowercase == true ? String(word) : nil
        }.filter { $0 != "help" }
        XCTAssertTrue(names.contains("edit") && names.contains("completion"), help.stdout)
        let root = try String(contentsOfFile: Self.manFolder + "/elder.1", encoding: .utf8)
        for name in names {
            let page = Self.manFolder + "/elder.\(name).1"
            XCTAssertTrue(FileManager.default.fileExists(atPath: page), "no man page for \(name): run docs/man/generate.sh")
            XCTAssertTrue(root.contains(name), "elder.1 does not list \(name)")
            // The page says what `elder NAME --help` says first (stale pages fail here).
            let abstract = try ElderProcess.run([name, "--help"], in: "/").stdout.split(separator: "\n").first
                .map { String($0.dropFirst("OVERVIEW: ".count)) } ?? ""
            let text = (try? String(contentsOfFile: page, encoding: .utf8)) ?? ""
            let firstWords = abstract.split(separator: " ").prefix(4).joined(separator: " ")
            XCTAssertTrue(text.replacingOccurrences(of: "\n", with: " ").contains(firstWords), "\(name): '\(firstWords)' not in its page")
        }
    }
}
