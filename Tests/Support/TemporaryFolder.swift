import Foundation

/// A new empty folder under the system's temporary folder, named after `name` (the calling test by default):
/// the one temporary-folder helper of the tests. Every test that makes a repo comes here first, so this is
/// also where the test process gets its commit identity (`TestIdentity`).
public func temporaryFolder(_ name: String = #function) -> String {
    TestIdentity.install()
    let dir = NSTemporaryDirectory() + "elder-test-\(getpid())-\(name.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Who the tests' commits are by, whatever the machine's git config says (commits need an identity, as git's
/// do; a fresh CI machine has none): `GIT_AUTHOR_*` and `GIT_COMMITTER_*` in the test process's environment,
/// which the `elder` children inherit. Variables the runner already set are kept. Tests of identity from git
/// config remove them for their child (`ElderProcess.run(removing:)`).
public enum TestIdentity {
    public static let name = "Elder Tests"
    public static let email = "tests@elder.invalid"
    public static let variables = ["GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"]

    private static let installed: Bool = {
        for key in variables { setenv(key, key.hasSuffix("NAME") ? name : email, 0) }
        return true
    }()

    public static func install() { _ = installed }
}
