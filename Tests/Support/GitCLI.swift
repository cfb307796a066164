import Foundation

/// The `git` command line, the independent reference the CLI and workspace tests compare against.
public enum GitCLI {
    /// Runs `git arguments…` from `/` (the arguments name repos by path: `-C`, `--git-dir`, URLs); returns the
    /// exit status and the trimmed standard output, followed by standard error when `includingErrors`.
    @discardableResult
    public static func invoke(_ arguments: [String], includingErrors: Bool = false) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        // Output goes to a file: a chatty git never blocks on a full pipe.
        let stem = NSTemporaryDirectory() + "elder-git-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: stem, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: stem) }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: stem))
        process.standardOutput = out
        process.standardError = includingErrors ? out : FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: stem)), as: UTF8.self)
        return (process.terminationStatus, text.trimmingCharacters(in: .whitespacesAndNewlines))
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
