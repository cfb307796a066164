import Foundation

/// A bisection's state kept in the repository, as git keeps it, so it survives between commands
/// and processes: `refs/bisect/bad`, `refs/bisect/good-<id>`, `refs/bisect/skip-<id>` (the same refs
/// `git bisect` writes and reads), plus Elder's log `ELDER_BISECT_LOG` in the git dir (one mark a line,
/// replaced atomically by write-then-rename) and `ELDER_BISECT_ANCESTORS_OK` (git's
/// `BISECT_ANCESTORS_OK`: the merge-base check passed). Writers serialise on `ELDER_BISECT_LOG.lock`.
struct BisectState {
    static let refPrefix = "refs/bisect/"
    static let badRef = "refs/bisect/bad"
    static let logFile = "ELDER_BISECT_LOG"
    static let ancestorsOKFile = "ELDER_BISECT_ANCESTORS_OK"

    var bad: ObjectID?
    var goods: [ObjectID] = []
    var skipped: [ObjectID] = []

    static func refName(for verdict: BisectVerdict, _ commit: ObjectID) -> String {
        switch verdict {
        case .bad: return badRef
        case .good: return refPrefix + "good-" + commit.hex
        case .skip: return refPrefix + "skip-" + commit.hex
        }
    }

    /// Reads the marks from the refs (git's `read_bisect_refs`: `bad`, `good-*`, `skip-*`, by name).
    static func read(_ repository: Repository) throws -> BisectState {
        var state = BisectState()
        for ref in try repository.references(matching: refPrefix + "*") {
            guard let target = ref.target else { continue }
            let name = ref.name.dropFirst(refPrefix.count)
            if name == "bad" { state.bad = target }
            else if name.hasPrefix("good-") { state.goods.append(target) }
            else if name.hasPrefix("skip-") { state.skipped.append(target) }
        }
        return state
    }

    static func path(_ repository: Repository, _ file: String) -> String { repository.gitDirectory + file }

    /// True when a bisection is in progress: a log or any `refs/bisect/` ref exists.
    static func exists(_ repository: Repository) throws -> Bool {
        if FileManager.default.fileExists(atPath: path(repository, logFile)) { return true }
        return try !repository.references(matching: refPrefix + "*").isEmpty
    }

    /// Runs `body` holding the bisection's writer lock.
    static func locked<R>(_ repository: Repository, _ body: () throws -> R) throws -> R {
        let lock = try FileLock(path: path(repository, logFile) + ".lock")
        defer { lock.unlock() }
        return try body()
    }

    // MARK: log

    static func readLog(_ repository: Repository) throws -> [BisectLogEntry] {
        let file = path(repository, logFile)
        guard FileManager.default.fileExists(atPath: file) else { return [] }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw BisectError.logFile(path: file, reason: "cannot read")
        }
        var entries: [BisectLogEntry] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.isEmpty {
            let words = line.split(separator: " ")
            guard let kind = BisectLogEntry.Kind(rawValue: String(words[0])) else {
                throw BisectError.logFile(path: file, reason: "unknown entry '\(line)'")
            }
            let ids = words.dropFirst().map { ObjectID(hex: String($0)) }
            guard ids.allSatisfy({ $0 != nil }) else { throw BisectError.logFile(path: file, reason: "bad object id in '\(line)'") }
            entries.append(BisectLogEntry(kind: kind, commits: ids.compactMap { $0 }))
        }
        return entries
    }

    /// Appends `entry`: the whole log is rewritten to a temporary file that replaces the old one.
    static func appendLog(_ repository: Repository, _ entry: BisectLogEntry) throws {
        let file = path(repository, logFile)
        var text = ""
        if FileManager.default.fileExists(atPath: file) {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw BisectError.logFile(path: file, reason: "cannot read")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        text += ([entry.kind.rawValue] + entry.commits.map(\.hex)).joined(separator: " ") + "\n"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw BisectError.logFile(path: file, reason: "cannot write: \(error)")
        }
    }

    static func hasAncestorsOK(_ repository: Repository) -> Bool {
        FileManager.default.fileExists(atPath: path(repository, ancestorsOKFile))
    }

    static func setAncestorsOK(_ repository: Repository) {
        // Like git, a failure only means the check runs again next time.
        FileManager.default.createFile(atPath: path(repository, ancestorsOKFile), contents: Data())
    }

    /// Removes every `refs/bisect/` ref and the files (git's `bisect_clean_state`).
    static func clear(_ repository: Repository) throws {
        for ref in try repository.references(matching: refPrefix + "*") {
            try repository.deleteReference(ref.name)
        }
        for file in [ancestorsOKFile, logFile] {
            let p = path(repository, file)
            if FileManager.default.fileExists(atPath: p) {
                do { try FileManager.default.removeItem(atPath: p) } catch {
                    throw BisectError.logFile(path: p, reason: "cannot remove: \(error)")
                }
            }
        }
    }
}
