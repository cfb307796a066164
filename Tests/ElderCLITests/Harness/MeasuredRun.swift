import ElderTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An `elder` run with its peak resident memory, read from the kernel's accounting of that one child
/// (`wait4`'s `ru_maxrss`): Foundation's `Process` reaps its child itself, so this spawns it directly.
struct MeasuredRun {
    var run: ElderRun
    /// Peak resident set size, bytes.
    var peakRSS: Int
    var seconds: Double

    static func run(_ arguments: [String], in folder: String) throws -> MeasuredRun {
        let stem = NSTemporaryDirectory() + "elder-measured-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: stem + ".out"); try? FileManager.default.removeItem(atPath: stem + ".err") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stem + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stem + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = [ElderProcess.binary] + arguments
        let env = ElderProcess.environment().map { "\($0.key)=\($0.value)" }
        let previous = FileManager.default.currentDirectoryPath
        // posix_spawn has no portable chdir: the child inherits ours, set around the call (tests run serially).
        FileManager.default.changeCurrentDirectoryPath(folder)
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        var pid: pid_t = 0
        let start = Date()
        let rc = withCStringArray(argv) { a in withCStringArray(env) { e in posix_spawn(&pid, argv[0], &actions, nil, a, e) } }
        guard rc == 0 else { throw NSError(domain: "MeasuredRun", code: Int(rc)) }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = Date().timeIntervalSince(start)
        let signal = status & 0x7f
        let exit = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        let out = (try? String(contentsOfFile: stem + ".out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: stem + ".err", encoding: .utf8)) ?? ""
        return MeasuredRun(run: ElderRun(status: exit, stdout: out, stderr: err), peakRSS: usage.ru_maxrss * 1024, seconds: seconds)
    }
}

private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
