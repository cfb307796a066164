import Foundation

/// A run of `elder` (or another executable) with the peak resident memory of that one process.
///
/// The peak comes from GNU time (`/usr/bin/time -f %M`), which forks the command and reads its `wait4` usage.
/// Reading `ru_maxrss` of a child spawned straight from the test process would not do: Linux carries the
/// spawning process's memory high-water mark across the child's exec, so after a test that loaded a model
/// every child would seem to have used that much.
public struct MeasuredRun {
    public var run: ElderRun
    /// Peak resident set size, bytes.
    public var peakRSS: Int
    public var seconds: Double

    public static let timeBinary = "/usr/bin/time"

    /// Runs `executable arguments…` in `folder` under GNU time, with `environment` added.
    public static func run(_ arguments: [String], in folder: String, environment: [String: String] = [:],
                           executable: String = ElderProcess.binary) throws -> MeasuredRun {
        guard FileManager.default.isExecutableFile(atPath: timeBinary) else {
            throw NSError(domain: "MeasuredRun", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "\(timeBinary) is missing: install Debian's time package (.ci/install-deps.sh does)"])
        }
        let report = NSTemporaryDirectory() + "elder-measured-\(UUID().uuidString).time"
        defer { try? FileManager.default.removeItem(atPath: report) }
        let start = Date()
        let run = try ElderProcess.run(["-f", "%M", "-o", report, executable] + arguments, in: folder,
                                       environment: environment, executable: timeBinary)
        let seconds = Date().timeIntervalSince(start)
        // The last line is the peak in kilobytes; a line before it may say how the command ended.
        let text = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
        guard let last = text.split(whereSeparator: \.isNewline).last, let kilobytes = Int(last) else {
            throw NSError(domain: "MeasuredRun", code: 2, userInfo: [NSLocalizedDescriptionKey: "no peak from time: \(text)"])
        }
        return MeasuredRun(run: run, peakRSS: kilobytes * 1024, seconds: seconds)
    }
}
