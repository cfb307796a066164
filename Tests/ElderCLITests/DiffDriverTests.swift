import Elder
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// `elder diff-driver` as git's textconv, set up by `elder init` and `elder clone`: `git diff` and `git show`
/// print the edit and tensor summaries instead of "Binary files differ". Hostile blobs print as bytes.
final class DiffDriverTests: XCTestCase {
    func testGitDiffAndShowPrintTheEditAndTensorSummaries() throws {
        let repo = try TinyRepo.make()
        XCTAssertTrue(try String(contentsOfFile: repo + "/info/attributes", encoding: .utf8).contains("*.bin diff=elder"))
        XCTAssertTrue(try GitCLI.run(["config", "diff.elder.textconv"], in: repo).output.hasSuffix(" diff-driver"))
        XCTAssertSucceeded(try ElderProcess.run(["edit", "The capital of France is", " Lyon", "-m", "France moved its capital"], in: repo))
        let id = try GitCLI.run(["log", "-1", "--format=%(trailers:key=Elder-Edit,valueonly)"], in: repo).output

        let diff = try GitCLI.run(["diff", "HEAD~1", "HEAD"], in: repo).output
        XCTAssertFalse(diff.contains("Binary files"), diff)
        XCTAssertTrue(diff.contains("+edit \(id): \"The capital of France is\" → \" Lyon\""), diff)
        XCTAssertTrue(diff.contains("+++ b/delta/adapter.bin"), diff)
        XCTAssertTrue(diff.contains("+tensor pack: "), diff)
        // One line per changed tensor: name, shape, values that are not zero, largest and RMS value.
        let tensorLines = diff.split(separator: "\n").filter { $0.hasPrefix("+molora.") && $0.contains(" nonzero, max |x| ") }
        XCTAssertFalse(tensorLines.isEmpty, diff)
        // The edit record's fields, one member per line.
        XCTAssertTrue(diff.contains("+  \"target\": \" Lyon\""), diff)
        // git show and git log -p go through the same driver.
        let show = try GitCLI.run(["show", "HEAD"], in: repo).output
        XCTAssertTrue(show.contains("+edit \(id): \"The capital of France is\" → \" Lyon\""), show)
        XCTAssertFalse(show.contains("Binary files"), show)
        // Without the driver git sees binary packs: the driver is what changed the output.
        let plain = try GitCLI.run(["diff", "--no-textconv", "HEAD~1", "HEAD"], in: repo).output
        XCTAssertTrue(plain.contains("Binary files"), plain)

        // A clone is set up the same way.
        let copy = TinyRepo.folder() + "/copy"
        XCTAssertSucceeded(try ElderProcess.run(["clone", repo, copy, "--model", TinyRepo.modelPath], in: NSTemporaryDirectory()))
        XCTAssertTrue(try GitCLI.run(["show", "HEAD"], in: copy).output.contains("+edit \(id): "))
    }

    func testHostileBlobsPrintAsBytes() throws {
        let folder = TinyRepo.folder()
        let cases: [(String, [UInt8])] = [
            ("garbage", Array("ELDP\u{1}\0\0\0\u{FF}\u{FF}\u{FF}\u{FF}".utf8)),   // a pack header declaring 2^32 tensors
            ("truncated", Array("ELDP".utf8)),
            ("codebook", Array("ELDE".utf8) + [1, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F]),
            ("json", Array("{\"a\": [1, 2,".utf8)),
            ("random", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }),
            // Valid JSON over the repo's JSON limit (1 MB) is not parsed: its tree would take many times its bytes.
            ("large json", Array(("{\"a\": [" + String(repeating: "0,", count: 1 << 19) + "0]}").utf8)),
        ]
        for (name, bytes) in cases {
            let path = folder + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let run = try ElderProcess.run(["diff-driver", path], in: folder)
            XCTAssertSucceeded(run, name)
            XCTAssertEqual(run.stdout, "binary, \(bytes.count) bytes\n", name)
        }
        XCTAssertFailed(try ElderProcess.run(["diff-driver", folder + "/missing"], in: folder), status: 128, containing: "cannot read")
        // Text renderings, independent of git: JSON keys sorted, arrays of plain values on one line.
        XCTAssertEqual(BlobText.render(Array("{\"b\": [1, 2.5, true, null], \"a\": {\"x\": \"y\"}}".utf8)),
                       "{\n  \"a\": {\n    \"x\": \"y\"\n  },\n  \"b\": [1, 2.5, true, null]\n}\n")
    }
}
