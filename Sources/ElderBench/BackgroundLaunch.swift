import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs the current `elder` command again as a detached background process: the same arguments without
/// `--background`, standard input from /dev/null, standard output and error appended to a log file. The
/// child runs in its own process group (so Ctrl-C in the terminal does not reach it), tries to leave the
/// terminal's session (setsid) and ignores SIGHUP, so closing the terminal or the shell that started it
/// does not stop it (what `nohup … &` does by hand). Stop it with `kill PID` (the pid is in --status).
enum BackgroundLaunch {
    /// Set in the child's environment: it is the background copy.
    static let childVariable = "ELDER_BACKGROUND_CHILD"

    /// Starts the child and returns its process id.
    static func start(log: String) throws -> Int32 {
        let executable = currentExecutable()
        let arguments = Array(CommandLine.arguments.dropFirst()).filter { $0 != "--background" }
        if !FileManager.default.fileExists(atPath: log) { FileManager.default.createFile(atPath: log, contents: nil) }
        guard let output = FileHandle(forWritingAtPath: log) else {
            throw ValidationError("cannot write the log \(log): check that --out is writable")
        }
        output.seekToEndOfFile()
        output.write(Data("\n== \(ISO8601DateFormatter().string(from: Date())) elder-bench \(arguments.joined(separator: " "))\n".utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        var environment = ProcessInfo.processInfo.environment
        environment[childVariable] = "1"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return process.processIdentifier
    }

    /// The path of the running `elder` binary.
    static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// In the child: leave the terminal's session and ignore hang-ups.
    static func detachFromTerminal() {
        _ = setsid()
        signal(SIGHUP, SIG_IGN)
    }
}
