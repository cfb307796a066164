import ElderTestSupport
import Foundation
import XCTest

/// A full disk: libgit2 1.5 fails the write without a reason; the error says the disk is full and what to do,
/// and nothing is committed. Needs root (a small tmpfs is mounted); skipped elsewhere.
final class DiskFullTests: XCTestCase {
    func testAnEditOnAFullDiskSaysSoAndCommitsNothing() throws {
        let mountPoint = TinyRepo.folder() + "/small-disk"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try GitCLI.shell("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint])
        guard mount == 0 else { throw XCTSkip("cannot mount a tmpfs here (not root?)") }
        defer { _ = try? GitCLI.shell("/bin/umount", [mountPoint]) }
        let repo = mountPoint + "/facts"
        XCTAssertSucceeded(try ElderProcess.run(["init", repo, "--model", TinyRepo.modelPath], in: mountPoint))
        let head = try GitCLI.lines(["rev-parse", "HEAD"], in: repo)
        // Fill what is left, then edit (whether the tiny model holds the edit is not what this test is about).
        let filler = mountPoint + "/filler"
        FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
        let block = Data(count: 64 << 10)
        while (try? handle.write(contentsOf: block)) != nil {}
        try? handle.close()
        let run = try ElderProcess.run(["edit", "The sky is", " green", "-m", "x", "--allow-not-holding"], in: repo)
        XCTAssertFailed(run, status: 1, containing: "is full")
        XCTAssertTrue(run.stderr.contains("free some space and run the command again"), run.stderr)
        try FileManager.default.removeItem(atPath: filler)
        XCTAssertEqual(try GitCLI.lines(["rev-parse", "HEAD"], in: repo), head, "the branch moved")
        // With room again, the same edit lands.
        XCTAssertSucceeded(try ElderProcess.run(["edit", "The sky is", " green", "-m", "x", "-q", "--allow-not-holding"], in: repo))
    }
}
