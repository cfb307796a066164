import ElderStore
import Foundation

/// The knowledge repo's hooks, as git has them: executables in the repo's `hooks/` folder, run only when
/// present and executable. `pre-edit` may reject an edit, `commit-msg` may rewrite or reject its message,
/// `post-commit` is told about the commit (its failure only warns).
///
/// Each hook runs in the repo's folder with standard input from /dev/null and these variables added to
/// the environment: `ELDER_REPO` and `GIT_DIR` (the repo), `ELDER_HOOK` (its name), and per hook the
/// edit (`ELDER_EDIT_JSON`, `ELDER_EDIT_PROMPT`, `ELDER_EDIT_TARGET`, `ELDER_EDIT_ID`, `ELDER_COMMIT`).
/// Its standard output and error are captured together and shown when it rejects. Samples: `Hooks/`
/// (embedded as `SampleHooks`, installed by `elder init --hooks`).
public struct Hooks: Sendable {
    /// The repo's git dir (hooks live in `<repo>/hooks`).
    public var repoPath: String

    public init(repoPath: String) { self.repoPath = repoPath }

    /// The hooks Elder runs, in the order an edit meets them.
    public static let names = ["pre-edit", "commit-msg", "post-commit"]

    /// What one run of a hook did.
    public struct Run: Sendable, Equatable {
        public var status: Int32
        /// Standard output and error, interleaved as written.
        public var output: String
    }

    /// Where hook `name` lives.
    public func path(of name: String) -> String { hooksFolder + "/" + name }

    /// The hook exists and may be executed (else it is skipped, as git skips a non-executable hook).
    public func isActive(_ name: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: path(of: name))
    }

    /// Runs `pre-edit PROMPT TARGET` (the request as JSON in `ELDER_EDIT_JSON`); throws `HookError.rejected`
    /// when it exits non-zero, before anything is trained.
    public func preEdit(prompt: String, target: String, requestJSON: String) throws {
        var environment = ["ELDER_EDIT_JSON": requestJSON, "ELDER_EDIT_PROMPT": prompt, "ELDER_EDIT_TARGET": target]
        if let id = (try? JSONSerialization.jsonObject(with: Data(requestJSON.utf8)) as? [String: Any])?["id"] as? String {
            environment["ELDER_EDIT_ID"] = id
        }
        try require(run("pre-edit", arguments: [prompt, target], environment: environment), of: "pre-edit")
    }

    /// Runs `commit-msg FILE` on the message; returns the message as the hook left it; throws
    /// `HookError.rejected` when it exits non-zero.
    public func commitMessage(_ message: String) throws -> String {
        guard isActive("commit-msg") else { return message }
        // Per process, so two `elder edit` runs in one repo never share the file.
        let file = folder + "/ELDER_EDITMSG.\(ProcessInfo.processInfo.processIdentifier)"
        HookTemporaryFiles.add(file)
        defer {
            try? FileManager.default.removeItem(atPath: file)
            HookTemporaryFiles.remove(file)
        }
        do { try Data(message.utf8).write(to: URL(fileURLWithPath: file)) } catch {
            throw HookError.rejected(hook: "commit-msg", status: -1, output: "cannot write \(file): \(error.localizedDescription)")
        }
        try require(run("commit-msg", arguments: [file], environment: [:]), of: "commit-msg")
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
        guard let size, size <= 1 << 20, let data = FileManager.default.contents(atPath: file) else {
            throw HookError.rejected(hook: "commit-msg", status: -1, output: "the hook removed \(file) or left more than 1 MB in it")
        }
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix(" ") { text.removeLast() }
        return text
    }

    /// Runs `post-commit COMMIT EDIT-ID` (with the commit's edit record in `ELDER_EDIT_JSON`, its prompt and
    /// target in `ELDER_EDIT_PROMPT` / `ELDER_EDIT_TARGET`); returns a warning line when it failed (the
    /// commit stands).
    public func postCommit(commit: String, editID: String) -> String? {
        guard isActive("post-commit") else { return nil }
        var environment = ["ELDER_COMMIT": commit, "ELDER_EDIT_ID": editID]
        if let record = editRecord(commit: commit, editID: editID) {
            environment["ELDER_EDIT_JSON"] = record.json
            environment["ELDER_EDIT_PROMPT"] = record.prompt
            environment["ELDER_EDIT_TARGET"] = record.target
        }
        do {
            guard let run = try run("post-commit", arguments: [commit, editID], environment: environment),
                  run.status != 0 else { return nil }
            let last = HookError.lastLines(run.output)
            return "the post-commit hook failed (exit \(run.status))\(last.isEmpty ? "" : ": " + last); the commit stands"
        } catch {
            return "the post-commit hook could not run (\(error)); the commit stands"
        }
    }

    /// Writes the sample hooks (`SampleHooks`) into the repo's hooks folder, executable; returns their paths.
    /// An existing hook is kept unless `overwrite`.
    @discardableResult
    public func installSamples(overwrite: Bool = false) throws -> [String] {
        try FileManager.default.createDirectory(atPath: hooksFolder, withIntermediateDirectories: true)
        var written: [String] = []
        for name in Self.names {
            guard let script = SampleHooks.scripts[name] else { continue }
            let target = path(of: name)
            if !overwrite, FileManager.default.fileExists(atPath: target) { continue }
            try Data(script.utf8).write(to: URL(fileURLWithPath: target))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: target)
            written.append(target)
        }
        return written
    }

    // MARK: running

    /// The repo folder without a trailing slash (libgit2 gives git dirs with one).
    private var folder: String {
        var p = repoPath
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    private var hooksFolder: String { folder + "/hooks" }

    /// The longest a hook may run (git config `elder.hookTimeout`, seconds; default 300), and the most of its
    /// output kept (the last 64 KB; the rest is dropped and the output says so).
    public static let defaultTimeout: TimeInterval = 300
    public static let maxOutputBytes = 64 << 10

    /// `elder.hookTimeout` from git config (repo-local, global or system), else `defaultTimeout`.
    func timeout() throws -> TimeInterval {
        guard let repository = try? Repository.open(at: folder),
              let text = try repository.configValue("elder.hookTimeout", anyLevel: true) else { return Self.defaultTimeout }
        guard let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds > 0, seconds <= 86_400 else {
            throw HookError.rejected(hook: "config", status: -1,
                                     output: "git config elder.hookTimeout = '\(text.prefix(40))' is not a number of seconds in (0, 86400]")
        }
        return seconds
    }

    /// Runs hook `name` if it is active; nil when it is not (a hook file without its run bit is named in a
    /// hint on standard error, as git does, and skipped).
    public func run(_ name: String, arguments: [String], environment: [String: String]) throws -> Run? {
        guard isActive(name) else {
            if FileManager.default.fileExists(atPath: path(of: name)) { Self.hintIgnored(name, path: path(of: name)) }
            return nil
        }
        var env = ProcessInfo.processInfo.environment
        env["ELDER_REPO"] = folder
        env["GIT_DIR"] = folder
        env["ELDER_HOOK"] = name
        for (k, v) in environment { env[k] = v }
        let limit = try timeout()
        let process = HookProcess(executable: path(of: name), arguments: arguments, environment: env, directory: folder,
                                  timeout: limit, maxOutputBytes: Self.maxOutputBytes)
        let result: HookProcess.Result
        do { result = try process.run() } catch {
            return Run(status: 126, output: "\(error)")
        }
        var text = String(decoding: result.output, as: UTF8.self)
        if result.droppedBytes > 0 { text = "[\(result.droppedBytes) earlier bytes of output dropped]\n" + text }
        if result.timedOut {
            text += (text.isEmpty || text.hasSuffix("\n") ? "" : "\n")
                + "the \(name) hook ran longer than \(Int(limit)) s and was stopped (git config elder.hookTimeout SECONDS sets the limit)"
        }
        return Run(status: result.status, output: text)
    }

    nonisolated(unsafe) private static var hinted = Set<String>()

    /// git's hint for a hook that exists but is not executable, once per hook and process.
    private static func hintIgnored(_ name: String, path: String) {
        guard hinted.insert(path).inserted else { return }
        FileHandle.standardError.write(Data(("hint: the '\(name)' hook was ignored because it is not set as executable "
            + "(chmod +x \(path) to run it, or remove it)\n").utf8))
    }

    private func require(_ run: Run?, of name: String) throws {
        guard let run, run.status != 0 else { return }
        throw HookError.rejected(hook: name, status: run.status, output: run.output)
    }

    /// The edit record `editID` live at `commit` (for a revert, which removes it: at its first parent).
    private func editRecord(commit: String, editID: String) -> (json: String, prompt: String, target: String)? {
        guard let store = try? KnowledgeStore.open(at: folder), let id = try? store.repository.resolveCommit(commit) else { return nil }
        var candidates = [id]
        if let info = try? store.info(of: id), let parent = info.parents.first { candidates.append(parent) }
        for c in candidates {
            guard let record = (try? store.liveEdits(at: c))?.first(where: { $0.id == editID }) else { continue }
            let json = String(decoding: record.json, as: UTF8.self)
            let body = try? EditRecordBody(decoding: record)
            return (json, body?.prompt ?? "", body?.target ?? "")
        }
        return nil
    }
}

/// A hook said no.
public enum HookError: Error, CustomStringConvertible, Sendable, Equatable {
    case rejected(hook: String, status: Int32, output: String)

    public var description: String {
        switch self {
        case let .rejected(hook, status, output):
            let reason = Self.lastLines(output)
            return "the \(hook) hook rejected this (exit \(status))\(reason.isEmpty ? "" : ": " + reason); "
                + "fix what it says, or bypass hooks with --no-verify"
        }
    }

    /// The last (up to 3) non-empty lines of a hook's output, joined by " | ", at most 300 characters: a hook
    /// may print megabytes, the one-line error quotes only its end.
    static func lastLines(_ output: String) -> String {
        let lines = output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let text = lines.suffix(3).joined(separator: " | ")
        return text.count <= 300 ? text : "…" + String(text.suffix(299))
    }

    /// What the hook printed (its last `Hooks.maxOutputBytes`).
    public var output: String {
        switch self { case let .rejected(_, _, output): return output }
    }
}
