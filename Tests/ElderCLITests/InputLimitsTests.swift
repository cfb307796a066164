import ElderTestSupport
import Foundation
import XCTest

/// Inputs are measured before costly work: prompts in tokens against the model's context, JSONL lines in
/// bytes, model paths by file kind; each refusal is one line with exit 128.
final class InputLimitsTests: XCTestCase {
    func testPromptsLongerThanTheContextAreRefusedUpFront() throws {
        let repo = try TinyRepo.make()
        // The tiny model's context is 128 tokens and its tokenizer is byte-level: 200 letters are ~200 tokens.
        let long = String(repeating: "z", count: 200)
        XCTAssertFailed(try ElderProcess.run(["ask", long], in: repo), status: 128, containing: "more than the model's context of 128 tokens")
        XCTAssertFailed(try ElderProcess.run(["generate", "--model", TinyRepo.modelPath, long], in: repo),
                        status: 128, containing: "more than the model's context of 128 tokens")
        // A prompt that fits, with too many tokens asked after it.
        XCTAssertFailed(try ElderProcess.run(["ask", "The sky is", "--max-tokens", "500"], in: repo),
                        status: 128, containing: "500 more are asked for")
        let probes = TinyRepo.folder() + "/probes.jsonl"
        try Data("{\"prompt\": \"\(long)\", \"expected\": \" x\"}\n".utf8).write(to: URL(fileURLWithPath: probes))
        XCTAssertFailed(try ElderProcess.run(["eval", "--probes", probes], in: repo), status: 128, containing: "probe 1's prompt")
    }

    func testAJSONLLineLongerThanOneMegabyteIsRefused() throws {
        let repo = try TinyRepo.make()
        let file = TinyRepo.folder() + "/edits.jsonl"
        let line = "{\"prompt\": \"" + String(repeating: "a", count: 2 << 20) + "\", \"target\": \" b\"}\n"
        try Data(line.utf8).write(to: URL(fileURLWithPath: file))
        let run = try ElderProcess.run(["edit", "--file", file], in: repo)
        XCTAssertFailed(run, status: 128, containing: "longer than 1 MB")
        XCTAssertLessThan(run.stderr.utf8.count, 400)
    }

    func testAModelPathThatIsAFIFOIsRefusedAtOnce() throws {
        let folder = TinyRepo.folder()
        let fifo = folder + "/model.gguf"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let start = Date()
        XCTAssertFailed(try ElderProcess.run(["generate", "--model", fifo, "hi"], in: folder), status: 128,
                        containing: "not a regular file")
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
    }
}
