import Foundation

/// A new empty folder under the system's temporary folder, named after `name` (the calling test by default):
/// the one temporary-folder helper of the tests.
public func temporaryFolder(_ name: String = #function) -> String {
    let dir = NSTemporaryDirectory() + "elder-test-\(getpid())-\(name.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}
