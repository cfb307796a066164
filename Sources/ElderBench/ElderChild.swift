import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The product's `elder` binary beside the running `elder-bench`, run as a user runs it: what a benchmark
/// measures against.
enum ElderChild {
    static var binary: String {
        let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return own.deletingLastPathComponent().appendingPathComponent("elder").path
    }

    /// Runs `elder arguments…` (or another `binary`) in `folder`; its standard output, or a failure with its
    /// standard error.
    @discardableResult
    static func run(_ arguments: [String], in folder: String, binary: String = ElderChild.binary) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(URL(fileURLWithPath: binary).lastPathComponent) \(arguments.prefix(2).joined(separator: " ")) failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `elder serve` in its own process on a free port.
    final class Server {
        let process = Process()
        let log: String
        private(set) var port = 0

        init(repo: String, extra: [String], binary: String = ElderChild.binary) async throws {
            log = repo + "/../serve-\(UUID().uuidString).log"
            FileManager.default.createFile(atPath: log, contents: nil)
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["serve", "-C", repo, "--port", "0"] + extra
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline, process.isRunning {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                for line in text.split(separator: "\n") {
                    if let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String],
                       entry["message"] == "listening", let p = entry["port"].flatMap({ Int($0) }) { port = p }
                }
                if port != 0 { return }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            process.terminate()
            throw ValidationError("elder serve did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }

        /// Peak and current resident memory of the server process (Linux /proc), in bytes.
        func memory() -> (peak: Int, now: Int) {
            let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            func kilobytes(_ key: String) -> Int {
                guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return 0 }
                return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
            }
            return (kilobytes("VmHWM"), kilobytes("VmRSS"))
        }

        /// A metric's value from /metrics.
        func metric(_ name: String) async throws -> Double? {
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix(name + " ") {
                return line.split(separator: " ").last.flatMap { Double($0) }
            }
            return nil
        }

        /// SIGTERM, then waits for the exit.
        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
