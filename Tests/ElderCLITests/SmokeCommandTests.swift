import ElderTestSupport
import Foundation
import XCTest

/// `elder smoke` checks what it says (libgit2, OpenBLAS, the model), and the product's command set holds
/// no benchmark or debug command: those are `elder-bench`'s.
final class SmokeCommandTests: XCTestCase {
    func testSmokeChecksLibGit2OpenBLASAndTheModel() throws {
        let folder = TinyRepo.folder()
        let run = try ElderProcess.run(["smoke", "--model", TinyRepo.modelPath], in: folder)
        XCTAssertSucceeded(run)
        for check in ["libgit2: ok", "OpenBLAS: ok", "model: ok (tiny-llama.gguf, 4 layers"] {
            XCTAssertTrue(run.stdout.contains(check), "\(check) in \(run.stdout)")
        }
        let missing = try ElderProcess.run(["smoke", "--model", folder + "/missing.gguf"], in: folder)
        XCTAssertFailed(missing, status: 1, containing: "smoke check failed: model")
        XCTAssertTrue(missing.stdout.contains("libgit2: ok") && missing.stdout.contains("model: FAILED"), missing.stdout)
    }

    func testTheProductHasNoLabCommands() throws {
        let folder = TinyRepo.folder()
        let help = try ElderProcess.run(["--help"], in: folder)
        XCTAssertSucceeded(help)
        XCTAssertTrue(help.stdout.contains("edit") && help.stdout.contains("smoke"), help.stdout)
        XCTAssertFalse(help.stdout.contains("bench") || help.stdout.contains("debug"), help.stdout)
        XCTAssertFailed(try ElderProcess.run(["bench", "store"], in: folder), status: 128, containing: "unexpected argument")
        let lab = try ElderProcess.run(["--help"], in: folder, executable: ElderProcess.benchBinary)
        XCTAssertSucceeded(lab)
        for command in ["kernels", "model", "edit", "store", "lifelong", "lifelong-report", "deferral"] {
            XCTAssertTrue(lab.stdout.contains("  \(command) "), "\(command) in \(lab.stdout)")
        }
    }
}
