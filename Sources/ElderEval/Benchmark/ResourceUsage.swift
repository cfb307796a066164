import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the operating system says this process has used (getrusage), for benchmark reports.
public enum ResourceUsage {
    /// Peak resident set size in bytes (ru_maxrss: kilobytes on Linux, bytes on macOS).
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF_VALUE, &usage)
        #if canImport(Darwin)
        return Int(usage.ru_maxrss)
        #else
        return Int(usage.ru_maxrss) * 1024
        #endif
    }

    /// The current resident set in bytes (Linux /proc/self/statm; 0 where it does not exist): what building
    /// one data structure added, where the peak only ever grows.
    public static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * 4096
    }

    /// CPU time (user + system) of the whole process so far, in seconds.
    public static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF_VALUE, &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    #if canImport(Glibc)
    static let RUSAGE_SELF_VALUE = RUSAGE_SELF.rawValue
    #else
    static let RUSAGE_SELF_VALUE = RUSAGE_SELF
    #endif
}
