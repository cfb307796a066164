import ElderLab
import Foundation
import XCTest
@testable import ElderStore

/// A fresh folder under the system temp dir, removed by the test's teardown.
func makeTemporaryDirectory(_ name: String = "store") throws -> String {
    let path = NSTemporaryDirectory() + "elder-\(name)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Output and exit status of a process.
struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs `executable` with `arguments` (no shell) and waits for it.
@discardableResult
func runProcess(_ executable: String, _ arguments: [String], in directory: String? = nil,
         environment: [String: String] = [:]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs the `git` command line in `directory` (identity set, no user config) and returns stdout.
@discardableResult
func git(_ arguments: [String], in directory: String, expectSuccess: Bool = true,
         file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
    let result = try runProcess("/usr/bin/git", arguments, in: directory, environment: [
        "GIT_AUTHOR_NAME": "Git CLI", "GIT_AUTHOR_EMAIL": "cli@example.com",
        "GIT_COMMITTER_NAME": "Git CLI", "GIT_COMMITTER_EMAIL": "cli@example.com",
        "GIT_CONFIG_NOSYSTEM": "1", "HOME": NSTemporaryDirectory(),
    ])
    if expectSuccess {
        XCTAssertEqual(result.status, 0, "git \(arguments.joined(separator: " ")) failed: \(result.stderr)", file: file, line: line)
    }
    return result
}

/// The built `elder-bench` executable next to the test bundle, whose debug helpers the store tests drive
/// (build it with `swift build --product elder-bench`).
func benchExecutable() throws -> String {
    var candidates: [URL] = []
    let bundle = Bundle(for: BundleLocator.self).bundleURL
    candidates.append(bundle.appendingPathComponent("elder-bench"))
    candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("elder-bench"))
    candidates.append(bundle.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("elder-bench"))
    if let env = ProcessInfo.processInfo.environment["ELDER_BENCH_BINARY"] { candidates.insert(URL(fileURLWithPath: env), at: 0) }
    for url in candidates where FileManager.default.isExecutableFile(atPath: url.path) { return url.path }
    let message = "the elder-bench executable is not built next to the tests (\(candidates.map(\.path))); run `swift build --product elder-bench` first"
    if ProcessInfo.processInfo.environment["CI"] != nil { throw MissingExecutable(message: message) }
    throw XCTSkip(message)
}

final class BundleLocator {}

/// Under CI a missing `elder-bench` binary fails the test instead of skipping it.
struct MissingExecutable: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A small adapter shape for quick tests (the real sizes are used where a test says so).
let smallShape = SyntheticAdapterShape(layers: 2, loras: 4, rank: 2, inputDim: 16, outputDim: 8, topK: 2)
