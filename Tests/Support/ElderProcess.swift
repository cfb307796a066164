import Foundation
import XCTest

/// What one run of the `elder` binary did.
public struct ElderRun {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    /// The JSON object printed on standard output.
    public func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
            throw NSError(domain: "ElderRun", code: 1, userInfo: [NSLocalizedDescriptionKey: "stdout is not a JSON object: \(stdout)"])
        }
        return object
    }
}

/// Runs the built `elder` binary (next to the test bundle, or `ELDER_BINARY`) as a user would, and
/// `elder-bench` (or `ELDER_BENCH_BINARY`) the same way.
public enum ElderProcess {
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["ELDER_BINARY"] { return path }
        // On Linux the test runner lives in the build products folder, next to `elder`.
        return Bundle.main.bundleURL.appendingPathComponent("elder").path
    }

    /// The lab's executable, built beside `elder`.
    public static var benchBinary: String {
        if let path = ProcessInfo.processInfo.environment["ELDER_BENCH_BINARY"] { return path }
        return Bundle.main.bundleURL.appendingPathComponent("elder-bench").path
    }

    /// The test's environment with one BLAS thread, no colour, and `extra`, without the variables `removing` names.
    public static func environment(adding extra: [String: String] = [:], removing: [String] = []) -> [String: String] {
        TestIdentity.install()
        var env = ProcessInfo.processInfo.environment
        for key in removing { env[key] = nil }
        env["OPENBLAS_NUM_THREADS"] = "1"
        env["NO_COLOR"] = "1"
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// Runs `elder arguments…` (or another `executable`) in `folder` with `environment` added and the variables
    /// `removing` names taken out, feeding `input` on standard input.
    @discardableResult
    public static func run(_ arguments: [String], in folder: String, environment: [String: String] = [:], removing: [String] = [],
                           input: String? = nil, executable: String = binary) throws -> ElderRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.environment = Self.environment(adding: environment, removing: removing)
        // Output goes to files, so a chatty child never blocks on a full pipe.
        let stem = NSTemporaryDirectory() + "elder-run-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: stem + ".out", contents: nil)
        FileManager.default.createFile(atPath: stem + ".err", contents: nil)
        defer { try? FileManager.default.removeItem(atPath: stem + ".out"); try? FileManager.default.removeItem(atPath: stem + ".err") }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: stem + ".out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: stem + ".err"))
        let inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inPipe.fileHandleForWriting.close()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let outData = try Data(contentsOf: URL(fileURLWithPath: stem + ".out"))
        let errData = try Data(contentsOf: URL(fileURLWithPath: stem + ".err"))
        return ElderRun(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                        stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// Asserts a run succeeded, showing its standard error if not.
public func XCTAssertSucceeded(_ run: ElderRun, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(run.status, 0, "\(message) exit \(run.status); stderr: \(run.stderr)", file: file, line: line)
}

/// Asserts a run failed with `status` and a single-line error containing `fragment`.
public func XCTAssertFailed(_ run: ElderRun, status: Int32, containing fragment: String,
                     file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(run.status, status, "stderr: \(run.stderr)", file: file, line: line)
    let lines = run.stderr.split(whereSeparator: \.isNewline)
    XCTAssertEqual(lines.count, 1, "the error should be one line: \(run.stderr)", file: file, line: line)
    XCTAssertTrue(run.stderr.contains(fragment), "stderr should contain '\(fragment)': \(run.stderr)", file: file, line: line)
}

/// An `elder` run started in the background (to interrupt it), its output going to files.
public struct RunningElder {
    public let process: Process
    public let outPath: String
    public let errPath: String

    public static func start(_ arguments: [String], in folder: String) throws -> RunningElder {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ElderProcess.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.environment = ElderProcess.environment()
        let outPath = NSTemporaryDirectory() + "elder-bg-\(UUID().uuidString).out", errPath = outPath + ".err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        return RunningElder(process: process, outPath: outPath, errPath: errPath)
    }

    public var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    /// Waits (up to `seconds`) until standard output has `count` lines or the process ended.
    public func waitForLines(_ count: Int, seconds: TimeInterval = 300) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, process.isRunning, stdout.split(separator: "\n").count < count { usleep(20_000) }
    }

    /// Sends `signal` and waits for the exit status.
    public func interrupt(_ signal: Int32 = SIGINT) -> Int32 {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return process.terminationStatus
    }
}
