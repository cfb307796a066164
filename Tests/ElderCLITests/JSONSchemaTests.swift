import ElderTestSupport
import Foundation
import XCTest

/// Every command's `--json` document, from real runs on a tiny-model repo, against its committed JSON Schema
/// (docs/schemas/COMMAND.schema.json), validated by the Python `jsonschema` package (Draft 2020-12): each
/// object has `schemaVersion`, and an error is a JSON document on standard output too, with a non-zero exit.
final class JSONSchemaTests: XCTestCase {
    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/schemas").path

    func testEveryCommandsJSONFollowsItsSchema() throws {
        let parent = TinyRepo.folder()
        let samples = parent + "/samples"
        try FileManager.default.createDirectory(atPath: samples, withIntermediateDirectories: true)
        var count: [String: Int] = [:]
        var repo = parent + "/facts"
        /// Runs `elder arguments… --json` and keeps standard output as one sample of `name`.
        func keep(_ name: String, _ arguments: [String], status: Int32 = 0, in folder: String? = nil, lines: Bool = false) throws {
            let run = try ElderProcess.run(arguments + [lines ? "--json-lines" : "--json"], in: folder ?? repo)
            if status >= 0 { XCTAssertEqual(run.status, status, "\(arguments): \(run.stderr)") }  // -1: either way
            let documents = lines ? run.stdout.split(separator: "\n").map(String.init) : [run.stdout]
            for document in documents {
                count[name, default: 0] += 1
                try Data(document.utf8).write(to: URL(fileURLWithPath: "\(samples)/\(name).\(count[name]!).json"))
            }
        }
        try keep("init", ["init", repo, "--model", TinyRepo.modelPath], in: parent)
        // Edits made from the command line get ids from the time unless given one; fixed ids keep which LoRAs an
        // edit trains, and so whether the tiny model takes it, the same from run to run.
        try keep("status", ["status"])
        try keep("edit", ["edit", "fact 1 is", " v1", "-m", "one", "--id", "fact-1"])
        try keep("edit", ["edit", "fact 1 is", " v1"])  // nothing to do
        try keep("edit", ["edit", "fact 9 is", " v9", "--dry-run"])
        let file = parent + "/edits.jsonl"
        try Data("{\"prompt\": \"fact 2 is\", \"target\": \" v2\"}\n{\"prompt\": \"fact 3 is\", \"target\": \" v3\"}\n".utf8)
            .write(to: URL(fileURLWithPath: file))
        try keep("edit-file", ["edit", "--file", file])
        try Data("{\"prompt\": \"fact 4 is\", \"target\": \" v4\"}\n".utf8).write(to: URL(fileURLWithPath: file))
        try keep("edit-event", ["edit", "--file", file], lines: true)
        try keep("log", ["log", "-n", "3"])
        try keep("show", ["show", "HEAD"])
        try keep("diff", ["diff", "HEAD~2", "HEAD"])
        try keep("ask", ["ask", "fact 1 is", "--max-tokens", "2"])
        try keep("eval", ["eval", "--no-require-edits"], status: -1)
        try keep("branch", ["branch", "side", "HEAD~1"])
        try keep("branch", ["branch"])
        try keep("tag", ["tag", "v1", "-m", "first"])
        try keep("tag", ["tag"])
        try keep("checkout", ["checkout", "side"])
        try keep("edit", ["edit", "side fact is", " w", "-m", "side", "--id", "side-fact"])
        try keep("checkout", ["checkout", "main"])
        try keep("revert", ["revert", "HEAD"])
        try keep("cherry-pick", ["cherry-pick", "side", "--no-repair"])
        try keep("reset", ["reset", "HEAD~1"])
        try keep("merge", ["merge", "side", "--no-repair"])
        try keep("verify", ["verify"])
        try keep("export", ["export", "--out", parent + "/exported"])
        try keep("bisect", ["bisect", "start", "HEAD", "HEAD~3"])
        try keep("bisect.log", ["bisect", "log"])
        try keep("bisect", ["bisect", "good"])
        try keep("bisect", ["bisect", "run", "--probe", "fact 1 is", "--expect", " v1"], status: -1)
        try keep("bisect", ["bisect", "reset"])
        try keep("tokenize", ["tokenize", "--model", TinyRepo.modelPath, "fact 1 is"])
        let copy = parent + "/copy"
        try keep("clone", ["clone", repo, copy, "--model", TinyRepo.modelPath], in: parent)
        repo = copy
        try keep("edit", ["edit", "fact 5 is", " v5", "--id", "fact-5"])
        try keep("push", ["push"])
        repo = parent + "/facts"
        try keep("pull", ["pull", copy, "main"])
        // Errors: the document on standard output, the line on standard error, git's exit status.
        try keep("error", ["show", "no-such-revision"], status: 128)
        try keep("error", ["edit", "fact 1 is", "v1"], status: 128)
        try keep("error", ["merge", "no-such-branch"], status: 128)
        try keep("error", ["edit", "--file", parent + "/missing.jsonl"], status: 128, lines: true)

        let samplesFolder = ProcessInfo.processInfo.environment["ELDER_JSON_SAMPLES"]
        if let samplesFolder {  // to draft schemas: docs/schemas/infer.py
            for name in try FileManager.default.contentsOfDirectory(atPath: samples) {
                try? FileManager.default.removeItem(atPath: samplesFolder + "/" + name)
                try FileManager.default.copyItem(atPath: samples + "/" + name, toPath: samplesFolder + "/" + name)
            }
        }
        try Self.assertValid(samples)
    }

    /// Validates every COMMAND.N.json in `samples` against its schema (docs/schemas/validate.py: the schemas
    /// closed, so a printed field the schema does not name fails too).
    static func assertValid(_ samples: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", schemas + "/validate.py", samples]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let report = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, report, file: file, line: line)
        XCTAssertTrue(report.hasSuffix("0 failure(s)\n"), report, file: file, line: line)
    }
}
