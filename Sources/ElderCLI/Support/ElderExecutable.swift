import Foundation

/// The running `elder` binary's absolute path: what a repo's config names to run it again (git's textconv).
enum ElderExecutable {
    static var path: String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }
}
