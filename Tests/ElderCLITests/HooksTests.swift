import Elder
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// The hooks runner (`Hooks`) and the sample hooks in Hooks/ that `elder init --hooks` installs.
final class HooksTests: XCTestCase {
    /// The project's Hooks/ folder (the samples' one source of truth).
    private static let samplesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Hooks").path

    func testEmbeddedSamplesAreTheFilesInHooksFolder() throws {
        XCTAssertEqual(Set(SampleHooks.scripts.keys), Set(Hooks.names))
        for name in Hooks.names {
            let path = Self.samplesFolder + "/" + name
            let file = try XCTUnwrap(FileManager.default.contents(atPath: path), path)
            XCTAssertEqual(SampleHooks.scripts[name].map { Data($0.utf8) }, file,
                           "\(name) differs from Hooks/\(name): run `sh Hooks/embed.sh`")
            XCTAssertTrue(FileManager.default.isExecutableFile(atPath: path), "Hooks/\(name) should be executable")
        }
    }

    func testInitHooksInstallsTheSamplesExecutable() throws {
        let repo = try TinyRepo.make(extra: ["--hooks"])
        for name in Hooks.names {
            let path = repo + "/hooks/" + name
            XCTAssertTrue(FileManager.default.isExecutableFile(atPath: path), path)
            XCTAssertEqual(FileManager.default.contents(atPath: path), Data(SampleHooks.scripts[name]!.utf8))
        }
        // Without the flag, no Elder hook is installed.
        let plain = try TinyRepo.make("plain")
        XCTAssertFalse(Hooks(repoPath: plain).isActive("pre-edit"))
    }

    func testPreEditSampleRejectsAnEditThatRewritesAProtectedProbe() throws {
        let repo = try TinyRepo.make(extra: ["--hooks"])
        let hooks = Hooks(repoPath: repo)
        // No probe file: everything passes.
        XCTAssertNoThrow(try hooks.preEdit(prompt: "The capital of France is", target: " Lyon", requestJSON: "{}"))
        try Data("""
            {"prompt":"The capital of France is","expected":" Paris"}
            {"prompt":"The CEO of Acme is","expected":"","datasetAnswer":" Jane Doe"}

            {"prompt":"The colour of the sky is","expected":""}
            """.utf8).write(to: URL(fileURLWithPath: repo + "/probes.jsonl"))
        func request(_ prompt: String, _ target: String, _ paraphrases: [String] = []) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: ["id": "e1", "prompt": prompt, "target": target,
                                                                         "paraphrases": paraphrases]), as: UTF8.self)
        }
        XCTAssertThrowsError(try hooks.preEdit(prompt: "The capital of France is", target: " Lyon",
                                               requestJSON: try request("The capital of France is", " Lyon"))) { error in
            guard case let .rejected(hook, status, output)? = error as? HookError else { return XCTFail("\(error)") }
            XCTAssertEqual(hook, "pre-edit")
            XCTAssertEqual(status, 1)
            XCTAssertTrue(output.contains("protected probe 'The capital of France is'"), output)
            XCTAssertTrue(output.contains("probes.jsonl:1"), output)
            XCTAssertEqual(String(describing: error).split(whereSeparator: \.isNewline).count, 1)
        }
        // Case and spacing do not hide a probe; a paraphrase hits it too; datasetAnswer protects when expected is empty.
        XCTAssertThrowsError(try hooks.preEdit(prompt: "Paris is the capital of", target: " Lyon",
                                               requestJSON: try request("Paris is the capital of", " Lyon", ["the capital of  France is "])))
        XCTAssertThrowsError(try hooks.preEdit(prompt: "The CEO of Acme is", target: " Bob",
                                               requestJSON: try request("The CEO of Acme is", " Bob")))
        // The same answer, an unrelated prompt, or a probe without an answer: allowed.
        XCTAssertNoThrow(try hooks.preEdit(prompt: "The capital of France is", target: " Paris",
                                           requestJSON: try request("The capital of France is", " Paris")))
        XCTAssertNoThrow(try hooks.preEdit(prompt: "The capital of Spain is", target: " Lyon",
                                           requestJSON: try request("The capital of Spain is", " Lyon")))
        XCTAssertNoThrow(try hooks.preEdit(prompt: "The colour of the sky is", target: " green",
                                           requestJSON: try request("The colour of the sky is", " green")))
        // `elder.probes` in the repo config points elsewhere (relative to the repo).
        try Data(#"{"prompt":"The capital of Spain is","expected":" Madrid"}"#.utf8).write(to: URL(fileURLWithPath: repo + "/other.jsonl"))
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", repo, "config", "elder.probes", "other.jsonl"], includingErrors: true).status, 0)
        XCTAssertThrowsError(try hooks.preEdit(prompt: "The capital of Spain is", target: " Lyon",
                                               requestJSON: try request("The capital of Spain is", " Lyon")))
        XCTAssertNoThrow(try hooks.preEdit(prompt: "The capital of France is", target: " Lyon",
                                           requestJSON: try request("The capital of France is", " Lyon")))
    }

    func testCommitMsgSampleEnforcesTheTemplate() throws {
        let repo = try TinyRepo.make(extra: ["--hooks"])
        let hooks = Hooks(repoPath: repo)
        let good = "Acme has a new CEO\n\nSource: https://acme.example/press"
        XCTAssertEqual(try hooks.commitMessage(good), good)
        // Comment lines are dropped, as git does.
        XCTAssertEqual(try hooks.commitMessage("# template\nAcme has a new CEO\n\nTicket: FACT-12\n# end\n"),
                       "Acme has a new CEO\n\nTicket: FACT-12")
        func rejection(_ message: String) -> String? {
            do { _ = try hooks.commitMessage(message); return nil } catch let error as HookError { return error.output } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(rejection("Acme has a new CEO")?.contains("Source:") ?? false)
        XCTAssertTrue(rejection("\n\nSource: x")?.contains("no subject") ?? false)
        XCTAssertTrue(rejection(String(repeating: "a", count: 73) + "\n\nSource: x")?.contains("73 characters") ?? false)
        XCTAssertNil(rejection(String(repeating: "é", count: 72) + "\n\nSource: x"))
        XCTAssertTrue(rejection("Subject\nSource: x")?.contains("second line must be blank") ?? false)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: repo).contains { $0.hasPrefix("ELDER_EDITMSG") },
                       "the message file is removed")
    }

    func testPostCommitSampleAppendsAnAuditLineWithTheEditsPromptAndTarget() throws {
        let repo = try TinyRepo.make(extra: ["--hooks"])
        let edit = try TinyEdits.commit([(" The capital of Zorbia is", " Quell")], in: repo)[0]
        let hooks = Hooks(repoPath: repo)
        XCTAssertNil(hooks.postCommit(commit: edit.commit.hex, editID: edit.editID))
        XCTAssertNil(hooks.postCommit(commit: edit.commit.hex, editID: edit.editID))
        let log = try String(contentsOfFile: repo + "/audit.log", encoding: .utf8)
        let lines = log.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let fields = lines[0].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(fields.count, 5, log)
        XCTAssertNotNil(ISO8601DateFormatter().date(from: fields[0]), fields[0])
        XCTAssertFalse(fields[1].isEmpty)
        XCTAssertEqual(fields[2], edit.commit.hex)
        XCTAssertEqual(fields[3], edit.editID)
        XCTAssertEqual(fields[4], #"" The capital of Zorbia is" -> " Quell""#)
    }

    func testHooksRunOnlyWhenExecutableAndReportFailures() throws {
        let repo = try TinyRepo.make()
        let hooks = Hooks(repoPath: repo)
        try FileManager.default.createDirectory(atPath: repo + "/hooks", withIntermediateDirectories: true)
        let script = "#!/bin/sh\necho \"cwd=$(pwd) repo=$ELDER_REPO hook=$ELDER_HOOK args=$*\"\necho 'no edits today' >&2\nexit 3\n"
        try Data(script.utf8).write(to: URL(fileURLWithPath: hooks.path(of: "pre-edit")))
        // Present but not executable: skipped, as git does.
        XCTAssertNoThrow(try hooks.preEdit(prompt: "p", target: " t", requestJSON: "{}"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hooks.path(of: "pre-edit"))
        XCTAssertThrowsError(try hooks.preEdit(prompt: "p", target: " t", requestJSON: "{}")) { error in
            guard case let .rejected(_, status, output)? = error as? HookError else { return XCTFail("\(error)") }
            XCTAssertEqual(status, 3)
            let folder = URL(fileURLWithPath: repo).standardizedFileURL.path
            XCTAssertTrue(output.contains("repo=\(folder) hook=pre-edit args=p  t"), output)
            XCTAssertTrue(output.contains("no edits today"), output)
            XCTAssertTrue(String(describing: error).contains("no edits today"))
        }
        // post-commit failures only warn.
        try Data("#!/bin/sh\necho broken >&2\nexit 1\n".utf8).write(to: URL(fileURLWithPath: hooks.path(of: "post-commit")))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hooks.path(of: "post-commit"))
        let warning = hooks.postCommit(commit: "HEAD", editID: "e1")
        XCTAssertTrue(warning?.contains("broken") ?? false, warning ?? "nil")
        XCTAssertTrue(warning?.contains("the commit stands") ?? false)
    }
}

/// The sample hooks around `elder edit`, end to end: the gate, the template and the audit log.
final class HooksWithEditCommandTests: XCTestCase {
    func testSampleHooksGateTemplateAndAuditRealEdits() throws {
        let repo = try TinyRepo.make(extra: ["--hooks"])
        let head = try GitCLI.invoke(["--git-dir", repo, "rev-parse", "HEAD"], includingErrors: true).output
        try Data(#"{"prompt":"The capital of France is","expected":" Paris"}"#.utf8).write(to: URL(fileURLWithPath: repo + "/probes.jsonl"))
        // pre-edit: the protected probe.
        XCTAssertFailed(try ElderProcess.run(["edit", "The capital of France is", " Lyon", "-m", "Move\n\nSource: x"], in: repo),
                        status: 1, containing: "the pre-edit hook rejected this (exit 1): pre-edit: the edit teaches ' Lyon'")
        // commit-msg: no Source/Ticket line.
        XCTAssertFailed(try ElderProcess.run(["edit", "The capital of Zorbia is", " Quell", "-m", "Zorbia"], in: repo),
                        status: 1, containing: "commit-msg: say where the fact comes from")
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", repo, "rev-parse", "HEAD"], includingErrors: true).output, head, "nothing committed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo + "/audit.log"))
        // --no-verify skips them all.
        XCTAssertSucceeded(try ElderProcess.run(["edit", "The capital of Zorbia is", " Quell", "-m", "Zorbia", "--no-verify"], in: repo))
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo + "/audit.log"))
        // A message that follows the template: committed as the hook left it (comments dropped), audited.
        let run = try ElderProcess.run(["edit", "The river of Zorbia is", " Vell", "-m", "Zorbia's river\n\nSource: atlas p. 12\n# draft",
                                        "--json"], in: repo)
        XCTAssertSucceeded(run)
        let commit = try XCTUnwrap(try run.json()["commit"] as? String)
        let editID = try XCTUnwrap(try run.json()["editID"] as? String)
        XCTAssertEqual(try GitCLI.invoke(["--git-dir", repo, "log", "-1", "--format=%B", commit], includingErrors: true).output
                           .components(separatedBy: "\n\n").prefix(2).joined(separator: "\n\n"),
                       "Zorbia's river\n\nSource: atlas p. 12")
        let audit = try String(contentsOfFile: repo + "/audit.log", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(audit.count, 1)
        XCTAssertTrue(audit[0].hasSuffix("\t\(commit)\t\(editID)\t\"The river of Zorbia is\" -> \" Vell\""), String(audit[0]))
    }
}
