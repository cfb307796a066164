import Elder
import ElderTestSupport
import Foundation
import XCTest

/// Hooks someone else wrote cannot hang, flood or outlive `elder`: a time limit, output kept to its last
/// 64 KB, the hook's process group ended, its files removed, the error quoting only the last lines, and a
/// hook without its run bit named in a hint.
final class HookLimitsTests: XCTestCase {
    /// True while process `pid` exists (and is not a zombie).
    static func alive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let status = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !status.contains(") Z ")
    }

    /// The pid a hook wrote into `file`, waiting up to `seconds` for it.
    static func pid(in file: String, seconds: Double = 60) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: file, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return pid
            }
            usleep(50_000)
        }
        return nil
    }

    func testASleepingHookIsStoppedAtTheTimeLimitWithItsChildren() throws {
        let repo = try TinyRepo.make()
        _ = try GitCLI.run(["config", "elder.hookTimeout", "1"], in: repo)
        // The hook's own child (`sleep`) writes its pid: it must be gone too when the hook is stopped.
        try EditHooksTests.install("pre-edit", #"sleep 120 & echo $! > "$ELDER_REPO/sleep.pid"; wait"#, in: repo)
        let start = Date()
        XCTAssertThrowsError(try Hooks(repoPath: repo).preEdit(prompt: "p", target: " t", requestJSON: "{}")) { error in
            XCTAssertTrue("\(error)".contains("ran longer than 1 s and was stopped"), "\(error)")
            XCTAssertTrue("\(error)".contains("elder.hookTimeout"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        let sleeper = try XCTUnwrap(Self.pid(in: repo + "/sleep.pid", seconds: 1))
        usleep(200_000)
        XCTAssertFalse(Self.alive(sleeper), "the hook's child \(sleeper) outlived the hook")
    }

    func testAHookPrintingForeverKeepsOnlyTheEndOfItsOutputAndNoFiles() throws {
        let repo = try TinyRepo.make()
        _ = try GitCLI.run(["config", "elder.hookTimeout", "2"], in: repo)
        try EditHooksTests.install("pre-edit", "yes 'a line that never ends'", in: repo)
        let temporary = NSTemporaryDirectory()
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: temporary))
        XCTAssertThrowsError(try Hooks(repoPath: repo).preEdit(prompt: "p", target: " t", requestJSON: "{}")) { error in
            guard case let .rejected(_, _, output)? = error as? HookError else { return XCTFail("\(error)") }
            XCTAssertLessThanOrEqual(output.utf8.count, Hooks.maxOutputBytes + 300)
            XCTAssertTrue(output.hasPrefix("["), String(output.prefix(80)))
            XCTAssertTrue(output.contains("earlier bytes of output dropped"))
            let line = String(describing: error)
            XCTAssertEqual(line.split(whereSeparator: \.isNewline).count, 1)
            XCTAssertLessThan(line.count, 600, line)
        }
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: temporary))
        XCTAssertTrue(after.subtracting(before).filter { $0.hasPrefix("elder-hook") }.isEmpty, "\(after.subtracting(before))")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: repo).filter { $0.hasPrefix("ELDER_") }, [])
    }

    func testAHookWithoutItsRunBitIsNamedInAHint() throws {
        let repo = try TinyRepo.make()
        try EditHooksTests.install("pre-edit", "exit 1", in: repo)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: repo + "/hooks/pre-edit")
        let run = try ElderProcess.run(["edit", "The sky is", " green", "-m", "x", "-q"], in: repo)
        XCTAssertSucceeded(run)
        XCTAssertTrue(run.stderr.contains("hint: the 'pre-edit' hook was ignored because it is not set as executable"), run.stderr)
    }

    func testAHookEndsWithElderAndLeavesNoFiles() throws {
        let repo = try TinyRepo.make()
        // commit-msg runs with a message file in the repo; it records its child's pid, then waits.
        try EditHooksTests.install("commit-msg", #"sleep 120 & echo $! > "$ELDER_REPO/sleep.pid"; wait"#, in: repo)
        let elder = try RunningElder.start(["edit", "The sky is", " green", "-m", "x"], in: repo)
        let sleeper = try XCTUnwrap(Self.pid(in: repo + "/sleep.pid", seconds: 120), elder.stderr)
        XCTAssertTrue(Self.alive(sleeper))
        XCTAssertTrue(try FileManager.default.contentsOfDirectory(atPath: repo).contains { $0.hasPrefix("ELDER_EDITMSG") })
        let status = elder.interrupt(SIGTERM)
        XCTAssertNotEqual(status, 0)
        usleep(300_000)
        XCTAssertFalse(Self.alive(sleeper), "the hook's child \(sleeper) outlived elder")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: repo).filter { $0.hasPrefix("ELDER_") }, [])
        XCTAssertEqual(try GitCLI.lines(["log", "--format=%s"], in: repo).count, 2, "nothing was committed")
    }
}
