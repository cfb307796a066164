import Elder
import ElderEditing
import ElderModel
import ElderTestSupport
import Foundation
import XCTest

/// A commit writes only the codebook files its edit changes (`MemoryCodec`'s per-edit layout), so a repo
/// grows by a bounded amount per edit instead of rewriting every live edit's keys; checked with `git`.
final class CodebookLayoutTests: XCTestCase {
    static let model: Result<LoadedModel, Error> = Result {
        let path = temporaryFolder("elder-codebook-model") + "/tiny-llama.gguf"
        try TinyCheckpoint.make(seed: 7, layers: 4).writeGGUF(to: path)
        return try LoadedModel.load(path: path)
    }

    /// `git diff-tree` of a commit against its first parent, codebook paths only.
    func codebookChanges(_ repo: String, _ rev: String) throws -> [String] {
        try GitCLI.lines(["diff-tree", "-r", "--no-commit-id", "--name-status", rev + "~1", rev, "--", "codebook"], in: repo)
    }

    func testAnEditWritesItsOwnFileAndTheEditList() throws {
        let repo = temporaryFolder("elder-codebook-layout") + "/facts"
        let ws = try Workspace.initialize(at: repo, model: try Self.model.get())
        let ids = ["sky", "grass", "sea", "sun"]
        for (id, prompt) in zip(ids, ["The colour of the sky is", "The colour of grass is", "The colour of the sea is",
                                      "The colour of the sun is"]) {
            try ws.edit(EditRequest(id: id, prompt: prompt, target: " purple"))
        }
        let file = { (id: String) in "codebook/" + MemoryCodec.editFileName(id) }
        // The fourth edit: the edit list and the new edit's file; the reference keys and the other edits'
        // files are the parent's blobs.
        XCTAssertEqual(try codebookChanges(repo, "HEAD"), ["A\t\(file("sun"))", "M\tcodebook/\(MemoryCodec.jsonName)"])
        let listed = try GitCLI.lines(["ls-tree", "--name-only", "HEAD:codebook"], in: repo)
        XCTAssertEqual(Set(listed.filter { $0.hasPrefix("edit-") }), Set(ids.map(MemoryCodec.editFileName)))
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD:\(file("sky"))"], in: repo),
                       try GitCLI.lines(["rev-parse", "HEAD~3:\(file("sky"))"], in: repo), "an edit's file is written once")
        // The edit list grows by an id, not by an edit's keys: far smaller than one edit's file.
        let json = try GitCLI.lines(["cat-file", "-s", "HEAD:codebook/\(MemoryCodec.jsonName)"], in: repo)
        let edit = try GitCLI.lines(["cat-file", "-s", "HEAD:\(file("sun"))"], in: repo)
        XCTAssertLessThan(Int(json[0])!, 600, "memory.json: \(json[0]) bytes for 4 edits")
        XCTAssertGreaterThan(Int(edit[0])!, Int(json[0])!)

        // Reverting an edit takes its file out and nothing else; the rebuilt memory is the one before it.
        try ws.revert("HEAD~1")
        XCTAssertEqual(try codebookChanges(repo, "HEAD"), ["D\t\(file("sea"))", "M\tcodebook/\(MemoryCodec.jsonName)"])
        XCTAssertEqual(try ws.version(at: "HEAD").memory.entries.map(\.id), ["sky", "grass", "sun"])
        XCTAssertEqual(try GitCLI.run(["fsck", "--strict"], in: repo).status, 0)

        // A fresh process (no cache) rebuilds the same memory from the files.
        let reopened = try Workspace.open(at: repo, model: try Self.model.get())
        XCTAssertEqual(try reopened.version(at: "HEAD").memory, try ws.version(at: "HEAD").memory)
        XCTAssertEqual(try reopened.version(at: "HEAD~2").memory.entries.map(\.id), ["sky", "grass", "sea"])
    }
}
