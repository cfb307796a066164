import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One hook run with the limits git does not have: a time limit, output kept to its last `maxOutputBytes`
/// (the rest dropped, and the result says how much), and the hook in a process group of its own that is
/// ended — the hook and everything it started — when the time is up, when it exits leaving children behind,
/// or when `elder` itself is interrupted or terminated (SIGINT, SIGTERM, SIGHUP). Output goes through a pipe,
/// so nothing is written to disk.
///
/// A SIGKILL of `elder` cannot be caught: the hook's direct child then gets SIGKILL from the kernel
/// (`PR_SET_PDEATHSIG`, set by `/usr/bin/setpriv` when present), but processes it started itself may outlive it.
struct HookProcess {
    var executable: String
    var arguments: [String]
    var environment: [String: String]
    var directory: String
    var timeout: TimeInterval
    var maxOutputBytes: Int

    struct Result {
        var status: Int32
        /// The last `maxOutputBytes` of standard output and error, interleaved as written.
        var output: [UInt8]
        var droppedBytes: Int
        var timedOut: Bool
    }

    func run() throws -> Result {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw HookProcessError("cannot make a pipe: \(String(cString: strerror(errno)))") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        posix_spawn_file_actions_addclose(&actions, writeEnd)
        spawnFileActionsAddChdir(&actions, directory)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group (so the whole of it can be ended), no blocked signals, and the default action
        // for the signals elder may be ignoring (an ignored signal stays ignored across exec).
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        // `setpriv --pdeathsig KILL` execs the hook with the parent-death signal set (Debian's util-linux).
        let deathSignal = FileManager.default.isExecutableFile(atPath: Self.setpriv)
        let argv = (deathSignal ? [Self.setpriv, "--pdeathsig", "KILL", "--", executable] : [executable]) + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let spawned = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnvp in
                HookGroups.spawnLock.lock()
                defer { HookGroups.spawnLock.unlock() }
                let rc = posix_spawn(&pid, argv[0], &actions, &attributes, cArgv, cEnvp)
                if rc == 0 { HookGroups.add(pid) }
                return rc
            }
        }
        close(writeEnd)
        guard spawned == 0 else {
            close(readEnd)
            throw HookProcessError("cannot run \(executable): \(String(cString: strerror(spawned))) (is its first line a #! interpreter?)")
        }
        defer { HookGroups.remove(pid) }

        var tail = TailBuffer(capacity: maxOutputBytes)
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32?
        var timedOut = false
        var exitedAt: Date?
        var open = true
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while open {
            var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 50)
            if ready > 0 {
                let n = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if n > 0 { tail.append(chunk, count: n) } else if n == 0 || errno != EINTR { open = false }
            }
            if status == nil { status = Self.reap(pid) }
            if status != nil, exitedAt == nil { exitedAt = Date() }
            // The hook exited but something it started holds the pipe: give it a moment, then end the group.
            if let exitedAt, open, Date().timeIntervalSince(exitedAt) > 0.5 {
                kill(-pid, SIGKILL)
                open = false
            }
            if status == nil, Date() > deadline {
                timedOut = true
                kill(-pid, SIGTERM)
                usleep(200_000)
                kill(-pid, SIGKILL)
            }
        }
        close(readEnd)
        kill(-pid, SIGKILL)  // whatever of the group is left (nothing, usually)
        let final = status ?? Self.wait(pid)
        return Result(status: timedOut ? 124 : final, output: tail.bytes, droppedBytes: tail.dropped, timedOut: timedOut)
    }

    static let setpriv = "/usr/bin/setpriv"

    /// The exit status as a shell reports it (128 + signal), or nil while it runs.
    private static func reap(_ pid: pid_t) -> Int32? {
        var raw: Int32 = 0
        let rc = waitpid(pid, &raw, WNOHANG)
        guard rc == pid else { return rc < 0 && errno != EINTR ? 127 : nil }
        return decode(raw)
    }

    private static func wait(_ pid: pid_t) -> Int32 {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 { if errno != EINTR { return 127 } }
        return decode(raw)
    }

    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }
}

/// The last `capacity` bytes written, and how many came before them.
struct TailBuffer {
    let capacity: Int
    private(set) var bytes: [UInt8] = []
    private(set) var dropped = 0

    init(capacity: Int) { self.capacity = max(capacity, 0) }

    mutating func append(_ chunk: [UInt8], count: Int) {
        bytes.append(contentsOf: chunk[0..<count])
        if bytes.count > capacity {
            let excess = bytes.count - capacity
            bytes.removeFirst(excess)
            dropped += excess
        }
    }
}

struct HookProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The process groups of the hooks running now, ended when elder is interrupted or terminated: a signal
/// handler (async-signal-safe: reads a fixed table, calls kill and the previous handler) is installed while
/// any hook runs.
enum HookGroups {
    static let spawnLock = NSLock()
    private static let capacity = 16
    nonisolated(unsafe) private static let table = UnsafeMutablePointer<pid_t>.allocate(capacity: capacity)
    nonisolated(unsafe) private static var initialized = false
    nonisolated(unsafe) private static var running = 0
    nonisolated(unsafe) static let previousTable = UnsafeMutablePointer<sigaction>.allocate(capacity: 3)
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    static func add(_ pid: pid_t) {
        if !initialized { table.initialize(repeating: 0, count: capacity); initialized = true }
        if running == 0 { install() }
        running += 1
        for i in 0..<capacity where table[i] == 0 { table[i] = pid; return }
    }

    static func remove(_ pid: pid_t) {
        spawnLock.lock()
        defer { spawnLock.unlock() }
        for i in 0..<capacity where table[i] == pid { table[i] = 0 }
        running -= 1
        if running == 0 { uninstall() }
    }

    private static func install() {
        for (i, s) in signals.enumerated() {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in HookGroups.endAll(signal) }
            sigemptyset(&action.sa_mask)
            sigaction(s, &action, previousTable + i)
        }
    }

    private static func uninstall() {
        for (i, s) in signals.enumerated() { sigaction(s, previousTable + i, nil) }
    }

    /// In the signal handler: end every hook group and remove the hooks' files, then give the signal back to
    /// what handled it before (restored, and raised again: it is delivered when this handler returns).
    static func endAll(_ signal: Int32) {
        for i in 0..<capacity where table[i] > 0 { kill(-table[i], SIGKILL) }
        HookTemporaryFiles.removeAll()
        guard let index = signals.firstIndex(of: signal) else { return }
        sigaction(signal, previousTable + index, nil)
        raise(signal)
    }
}

/// Files made for a hook (the commit message), removed if elder is interrupted while the hook runs.
enum HookTemporaryFiles {
    private static let capacity = 4
    nonisolated(unsafe) private static let paths = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
    nonisolated(unsafe) private static var initialized = false

    static func add(_ path: String) {
        HookGroups.spawnLock.lock()
        defer { HookGroups.spawnLock.unlock() }
        if !initialized { paths.initialize(repeating: nil, count: capacity); initialized = true }
        for i in 0..<capacity where paths[i] == nil { paths[i] = strdup(path); return }
    }

    static func remove(_ path: String) {
        HookGroups.spawnLock.lock()
        defer { HookGroups.spawnLock.unlock() }
        guard initialized else { return }
        for i in 0..<capacity {
            if let p = paths[i], String(cString: p) == path { paths[i] = nil; free(p) }
        }
    }

    /// Async-signal-safe: unlink only.
    static func removeAll() {
        guard initialized else { return }
        for i in 0..<capacity { if let p = paths[i] { unlink(p) } }
    }
}

/// `body` with `strings` as a NULL-terminated C array.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which Swift's Glibc module does not export.
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func spawnFileActionsAddChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32
