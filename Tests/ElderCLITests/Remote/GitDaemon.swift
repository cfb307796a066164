import ElderTestSupport
import Foundation
import XCTest

/// A real `git daemon` on 127.0.0.1 serving every repo under a folder, push enabled; stopped by `stop()`.
final class GitDaemon {
    let base: String
    let port: Int
    private let process: Process

    private init(base: String, port: Int, process: Process) {
        self.base = base
        self.port = port
        self.process = process
    }

    /// `git://127.0.0.1:PORT/name`.
    func url(_ name: String) -> String { "git://127.0.0.1:\(port)/\(name)" }

    /// Starts a daemon on a free port (tries a few), waiting until it answers `git ls-remote`; `environment` is
    /// added to the daemon's (its hooks inherit it).
    static func start(base: String, environment: [String: String] = [:]) throws -> GitDaemon {
        _ = try GitCLI.invoke(["init", "--bare", "-q", base + "/ready.git"], includingErrors: true)
        for _ in 0..<8 {
            let port = Int.random(in: 20_000..<60_000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            process.arguments = ["daemon", "--export-all", "--enable=receive-pack", "--reuseaddr", "--base-path=\(base)",
                                 "--listen=127.0.0.1", "--port=\(port)", base]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
            try process.run()
            let daemon = GitDaemon(base: base, port: port, process: process)
            for _ in 0..<50 {
                if !process.isRunning { break }  // the port was taken: try another
                if try GitCLI.invoke(["ls-remote", daemon.url("ready.git")], includingErrors: true).status == 0 { return daemon }
                usleep(100_000)
            }
            daemon.stop()
        }
        throw NSError(domain: "GitDaemon", code: 1, userInfo: [NSLocalizedDescriptionKey: "could not start git daemon on 127.0.0.1"])
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}
