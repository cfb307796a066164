import Foundation

/// The 1-, 5- and 15-minute load averages (Linux /proc/loadavg), "?" where there is none: how busy the
/// machine was beside a benchmark, printed in every report that times something.
func loadAverage() -> String {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "?" }
    return text.split(separator: " ").prefix(3).joined(separator: " ")
}
