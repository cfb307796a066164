import Foundation

/// What one run of the `git` command line printed, and its exit status.
public struct GitResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// The `git` command line, the independent reference the store, workspace and CLI tests compare against:
/// the one way the tests run git.
public enum GitCLI {
    /// Runs `git arguments…` in `directory` with a fixed identity ("Git CLI"), no system or user config and
    /// C messages, `environment` added, `input` on standard input. Output goes to files, so a chatty git
    /// never blocks on a full pipe.
    @discardableResult
    public static func execute(_ arguments: [String], in directory: String = "/", input: String? = nil,
                               environment: [String: String] = [:]) throws -> GitResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in ["GIT_AUTHOR_NAME": "Git CLI", "GIT_AUTHOR_EMAIL": "cli@example.com",
                       "GIT_COMMITTER_NAME": "Git CLI", "GIT_COMMITTER_EMAIL": "cli@example.com",
                       "GIT_CONFIG_NOSYSTEM": "1", "HOME": NSTemporaryDirectory(), "LC_ALL": "C", "LANG": "C"] { env[k] = v }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let stem = temporaryFolder("git-run")
        defer { try? FileManager.default.removeItem(atPath: stem) }
        for name in ["out", "err", "in"] { FileManager.default.createFile(atPath: stem + "/" + name, contents: nil) }
        try Data((input ?? "").utf8).write(to: URL(fileURLWithPath: stem + "/in"))
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: stem + "/out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: stem + "/err"))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : try FileHandle(forReadingFrom: URL(fileURLWithPath: stem + "/in"))
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        func read(_ name: String) throws -> String {
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: stem + "/" + name)), as: UTF8.self)
        }
        return GitResult(status: process.terminationStatus, stdout: try read("out"), stderr: try read("err"))
    }

    /// Runs `git arguments…` from `/` (the arguments name repos by path: `-C`, `--git-dir`, URLs); returns the
    /// exit status and the trimmed standard output, followed by standard error when `includingErrors`.
    @discardableResult
    public static func invoke(_ arguments: [String], includingErrors: Bool = false) throws -> (status: Int32, output: String) {
        let r = try execute(arguments)
        let text = includingErrors ? r.stdout + r.stderr : r.stdout
        return (r.status, text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Runs another program (`mount`, …) with no output; returns its exit status.
    public static func shell(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs `git -C repo arguments…`; returns the exit status and trimmed standard output.
    @discardableResult
    public static func run(_ arguments: [String], in repo: String) throws -> (status: Int32, output: String) {
        try invoke(["-C", repo] + arguments)
    }

    /// `git … ` output lines, failing the caller when git fails.
    public static func lines(_ arguments: [String], in repo: String) throws -> [String] {
        let (status, output) = try run(arguments, in: repo)
        guard status == 0 else {
            throw NSError(domain: "git", code: Int(status), userInfo: [NSLocalizedDescriptionKey: "git \(arguments) failed"])
        }
        return output.split(separator: "\n").map(String.init)
    }
}
