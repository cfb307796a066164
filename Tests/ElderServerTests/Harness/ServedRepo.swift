import ElderTestSupport
import Foundation
import XCTest

/// `elder serve` run by the built binary in its own process, on a free loopback port: what a user starts.
final class ServedRepo {
    let repo: String
    let running: RunningElder
    let port: Int

    /// Starts `elder serve -C repo --port 0 extra…` and waits until it listens (its log says on which port).
    init(repo: String, extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        self.repo = repo
        running = try RunningElder.start(["serve", "-C", repo, "--port", "0"] + extra, in: repo)
        let deadline = Date().addingTimeInterval(300)
        var found: Int?
        while Date() < deadline, running.process.isRunning, found == nil {
            for line in running.stderr.split(separator: "\n") {
                guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String],
                      entry["message"] == "listening", let port = entry["port"].flatMap({ Int($0) }) else { continue }
                found = port
            }
            if found == nil { usleep(50_000) }
        }
        guard let found else {
            _ = running.interrupt(SIGKILL)
            XCTFail("elder serve did not start listening: \(running.stderr.suffix(2000))", file: file, line: line)
            throw XCTSkip("no server")
        }
        port = found
    }

    deinit { if running.process.isRunning { _ = running.interrupt(SIGKILL) } }

    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// The value of a metric (first sample whose line starts with `name`).
    func metric(_ name: String) throws -> Double? {
        let text = try RawHTTP.exchange(port: port, "GET", "/metrics").text
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }

    /// Sends SIGTERM and waits for the exit status.
    func terminate() -> Int32 { running.interrupt(SIGTERM) }
}

/// A client program run to completion (python3, curl), its output in files: its status and output.
func runProgram(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let stem = temporaryFolder("program")
    defer { try? FileManager.default.removeItem(atPath: stem) }
    FileManager.default.createFile(atPath: stem + "/out", contents: nil)
    FileManager.default.createFile(atPath: stem + "/err", contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stem + "/out"))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stem + "/err"))
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return (process.terminationStatus, (try? String(contentsOfFile: stem + "/out", encoding: .utf8)) ?? "",
            (try? String(contentsOfFile: stem + "/err", encoding: .utf8)) ?? "")
}
