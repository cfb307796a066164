import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How far a lifelong run has got, written (atomically) after every edit to `<name>.progress.json` beside
/// its report, so `elder-bench lifelong --status` can show runs going on in the background.
public struct LifelongProgress: Codable, Equatable, Sendable {
    public enum Phase: String, Codable, Sendable {
        case running, finished, failed
    }

    public var name: String
    public var phase: Phase
    /// The process doing the run (to tell a running run from one whose process died).
    public var pid: Int32
    public var editsApplied: Int
    public var editCount: Int
    /// Wall-clock seconds of all sessions so far, and the estimate of what is left at the rate so far.
    public var elapsedSeconds: Double
    public var etaSeconds: Double?
    public var medianSecondsPerEdit: Double?
    /// Edits covered by the last checkpoint written (what `--resume` would continue from).
    public var checkpointedEdits: Int?
    /// The last curve point (all edits so far scored) and the after-each-edit running means, if measured.
    public var latest: MetricsSnapshot?
    public var afterEachEdit: MetricsSnapshot?
    public var updated: String
    public var log: String?
    public var report: String?
    public var error: String?
    /// The command that continues this run after an interruption.
    public var resumeCommand: String?

    public init(name: String, phase: Phase, pid: Int32, state: LifelongRunState, editCount: Int, checkpointedEdits: Int?) {
        self.name = name
        self.phase = phase
        self.pid = pid
        editsApplied = state.editsApplied
        self.editCount = editCount
        elapsedSeconds = state.elapsedSeconds
        let left = editCount - state.editsApplied
        etaSeconds = state.editsApplied > 0 ? state.elapsedSeconds / Double(state.editsApplied) * Double(left) : nil
        medianSecondsPerEdit = median(state.seconds)
        self.checkpointedEdits = checkpointedEdits
        latest = state.curve.points.last
        afterEachEdit = state.curve.immediate
        updated = ISO8601DateFormatter().string(from: Date())
    }

    public static func path(folder: String, name: String) -> String {
        URL(fileURLWithPath: folder).appendingPathComponent(name + ".progress.json").path
    }

    /// Writes the file atomically (a reader never sees half of it).
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    public init(contentsOf path: String) throws {
        self = try JSONDecoder().decode(LifelongProgress.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Whether the run's process is still alive (a "running" run whose process is gone was interrupted).
    public var processAlive: Bool { kill(pid_t(pid), 0) == 0 || errno == EPERM }

    /// One line per run for `--status`: name, phase, edits, elapsed, ETA, latest exact-match scores.
    public var statusLine: String {
        var phaseText = phase.rawValue
        if phase == .running, !processAlive {
            phaseText = "stopped (process \(pid) is gone; checkpoint at \(checkpointedEdits ?? 0) edits)"
        }
        var parts = ["\(name): \(phaseText)", "\(editsApplied)/\(editCount) edits",
                     "elapsed \(Self.duration(elapsedSeconds))"]
        if phase == .running, let eta = etaSeconds, processAlive { parts.append("ETA \(Self.duration(eta))") }
        if let m = medianSecondsPerEdit { parts.append(String(format: "%.2f s/edit", m)) }
        if let l = latest {
            parts.append(String(format: "after %d: Rel %.1f Gen %.1f Loc %.1f (EM %%)", l.editsApplied,
                                l.reliability.exactMatch * 100, l.generalization.exactMatch * 100, l.locality.exactMatch * 100))
        }
        if let a = afterEachEdit {
            parts.append(String(format: "each-edit Rel %.1f Gen %.1f", a.reliability.exactMatch * 100, a.generalization.exactMatch * 100))
        }
        var line = parts.joined(separator: " · ")
        if let report { line += "\n    report: \(report)" }
        if let log, phase == .running, processAlive { line += "\n    follow: tail -f \(log)" }
        if let error { line += "\n    error: \(error)" }
        if phase != .finished, !processAlive || phase == .failed, let resumeCommand { line += "\n    resume: \(resumeCommand)" }
        return line
    }

    /// The status of every run with a progress file in `folder`, sorted by name.
    public static func status(folder: String) -> String {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".progress.json") }.sorted()
        guard !files.isEmpty else { return "no lifelong runs in \(folder) (no *.progress.json files)" }
        return files.map { file in
            let path = URL(fileURLWithPath: folder).appendingPathComponent(file).path
            guard let progress = try? LifelongProgress(contentsOf: path) else { return "\(file): unreadable" }
            return progress.statusLine
        }.joined(separator: "\n")
    }

    /// "1 h 02 min", "3 min 05 s", "42 s".
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%d h %02d min", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%d min %02d s", s / 60, s % 60) }
        return "\(s) s"
    }
}
