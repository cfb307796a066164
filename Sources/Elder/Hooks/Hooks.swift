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
        do { try Data(message.utf8).write(to: URL(fileURLWithPath: file)) } catch {
            throw HookError.rejected(hook: "commit-msg", status: -1, output: "cannot write \(file): \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(atPath: file) }
        try require(run("commit-msg", arguments: [file], environment: [:]), of: "commit-msg")
        guard let data = FileManager.default.contents(atPath: file) else {
            throw HookError.rejected(hook: "commit-msg", status: -1, output: "the hook removed \(file)")
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
            let last = run.output.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
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

    /// Runs hook `name` if it is active; nil when it is not.
    public func run(_ name: String, arguments: [String], environment: [String: String]) throws -> Run? {
        guard isActive(name) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path(of: name))
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        var env = ProcessInfo.processInfo.environment
        env["ELDER_REPO"] = folder
        env["GIT_DIR"] = folder
        env["ELDER_HOOK"] = name
        for (k, v) in environment { env[k] = v }
        process.environment = env
        // Output goes to a file: a chatty hook never blocks on a full pipe.
        let capture = NSTemporaryDirectory() + "elder-hook-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: capture, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: capture) }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: capture))
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            try? out.close()
            return Run(status: 126, output: "cannot run \(path(of: name)): \(error.localizedDescription) (is its first line a #! interpreter?)")
        }
        process.waitUntilExit()
        try? out.close()
        let text = String(decoding: FileManager.default.contents(atPath: capture) ?? Data(), as: UTF8.self)
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Run(status: status, output: text)
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
            let body = try? JSONDecoder().decode(EditRecordBody.self, from: Data(record.json))
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
            let reason = output.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
            return "the \(hook) hook rejected this (exit \(status))\(reason.isEmpty ? "" : ": " + reason); "
                + "fix what it says, or bypass hooks with --no-verify"
        }
    }

    /// Everything the hook printed.
    public var output: String {
        switch self { case let .rejected(_, _, output): return output }
    }
}
