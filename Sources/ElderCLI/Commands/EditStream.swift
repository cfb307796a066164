import Dispatch
import Elder
import ElderCommandLine
import ElderRecords
import ElderStore
import Foundation

/// `elder edit --file`: applies an edit file one commit per edit, with a progress bar, and resumes after
/// an interruption by skipping the edits already live on the branch.
///
/// A later line with the prompt of an earlier one supersedes it (`Workspace.edit`); a rerun also skips
/// the edits a later edit superseded on the branch (`RepoHistory.supersededEditIDs`), so resuming never
/// brings an old answer back, and a line whose prompt already has its target live commits nothing.
///
/// Each commit is atomic (the store moves the branch last), so Ctrl-C loses only the edit in progress;
/// the handler says how many were committed and exits 130, as a shell expects. With `jsonLines` every
/// landed or skipped edit is an event line on standard output as it happens (`EditStreamEvent`).
struct EditStream {
    var file: String
    var format: ElderCommand.Edit.EditFileFormat
    var branch: String
    var path: String
    var noVerify: Bool
    /// --author for every commit of the stream (nil: git's author identity).
    var author: Signature?
    var repo: RepoOptions
    var console: Console
    var jsonLines = false
    /// --probes: each edit must not break them (the stream stops at one that does).
    var gate: ProbeGate? = nil
    /// --allow-not-holding: commit edits that do not hold (nil: the repo's git config; else the stream stops at one).
    var allowNotHolding: Bool? = nil

    struct Report: Encodable {
        var file: String
        var branch: String
        var total: Int
        var committed: [ElderCommand.EditLine]
        /// Edits already live on the branch, or superseded there by a later edit (an earlier run committed them).
        var skipped: Int
        /// Records an importer left out (e.g. ZsRE records without an alternative answer).
        var notImported: Int
        var seconds: Double
        /// Why the stream stopped early (the exit is non-zero); nil when it went through the whole file.
        var error: String?
    }

    func run(history: RepoHistory) throws {
        let source = try RecordSource(file: file, format: format)
        var live = try history.liveEditIDs(on: branch).union(try history.supersededEditIDs(on: branch))
        let workspace = try repo.openWorkspace()
        let hooks = noVerify ? nil : Hooks(repoPath: path)
        let counter = InterruptCounter(jsonLines: jsonLines)
        let interrupt = counter.install(branch: branch)
        defer { interrupt.cancel() }

        let started = Date()
        var report = Report(file: file, branch: branch, total: source.total, committed: [], skipped: 0,
                            notImported: source.notImported, seconds: 0)
        var position = 0
        var announcedSkips = false
        do {
            while let record = try source.next() {
                position += 1
                let request = record.editRequest
                let plan = try history.editPlan(request, on: branch)
                if live.contains(request.id) || plan.upToDate != nil {
                    report.skipped += 1
                    counter.set(skipped: report.skipped)
                    if jsonLines { try counter.write(EditStreamEvent.Skipped(record: position, editID: request.id, live: live.contains(request.id))) }
                    continue
                }
                if report.skipped > 0, !announcedSkips {
                    announcedSkips = true
                    console.progressDone()
                    console.say(console.dim("Skipped \(report.skipped) edit\(report.skipped == 1 ? "" : "s") already live on \(branch) (resuming an earlier run)."))
                }
                try ElderCommand.Edit.checkTarget(request.target)
                showProgress(position: position, total: source.total, editID: request.id, report: report, started: started)
                let line = try ElderCommand.Edit.apply(request, message: record.message, workspace: workspace, branch: branch,
                                                       author: author, hooks: hooks, gate: gate, plan: plan, allowNotHolding: allowNotHolding)
                live.insert(request.id)
                report.committed.append(line)
                counter.set(committed: report.committed.count)
                console.progressDone()
                if jsonLines { try counter.write(EditStreamEvent.Committed(record: position, edit: line)) }
                console.say("\(console.yellow(line.short)) \(request.id)  \(line.human(console))")
            }
        } catch {
            console.progressDone()
            let failure = CLIFailure.from(error)
            report.seconds = Date().timeIntervalSince(started)
            report.error = failure.message
            // What landed before the error, for scripts: the document (--json) or the last event (--json-lines).
            if jsonLines {
                try? counter.write(EditStreamEvent.Summary(report))
            } else if console.json {
                try? console.emit(report) { "" }
            }
            var done = "\(report.committed.count) edit\(report.committed.count == 1 ? "" : "s") committed"
            if report.skipped > 0 { done += ", \(report.skipped) skipped as already live" }
            throw CLIFailure(kind: failure.kind, message: failure.message
                + " (\(done); fix this and rerun the same command to resume: committed edits are skipped)")
        }
        console.progressDone()
        report.seconds = Date().timeIntervalSince(started)
        if jsonLines {
            try counter.write(EditStreamEvent.Summary(report))
            return
        }
        try console.emit(report) {
            var text = "\(report.committed.count) edit\(report.committed.count == 1 ? "" : "s") committed on \(branch)"
            if report.skipped > 0 { text += ", \(report.skipped) skipped (already live)" }
            if report.notImported > 0 { text += ", \(report.notImported) records not imported" }
            let holding = report.committed.filter(\.holds).count
            if !report.committed.isEmpty { text += "; \(holding)/\(report.committed.count) hold" }
            return text + String(format: " (%.1f s)", report.seconds)
        }
    }

    private func showProgress(position: Int, total: Int, editID: String, report: Report, started: Date) {
        let width = 24
        let filled = total > 0 ? min(width, width * (position - 1) / total) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        var line = "[\(bar)] \(position)/\(total) \(editID)"
        let done = report.committed.count
        if done > 0 {
            let perEdit = Date().timeIntervalSince(started) / Double(done)
            let remaining = Double(max(0, total - position + 1)) * perEdit
            line += String(format: " · %.1f s/edit", perEdit) + " · about \(Self.duration(remaining)) left"
        }
        console.progress(line)
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}

/// The records of an edit file, streamed (Elder's JSONL) or imported at once (ZsRE, CounterFact).
final class RecordSource {
    private var reader: EditFileReader?
    private var imported: [EditRecord] = []
    private var index = 0
    let total: Int
    let notImported: Int

    init(file: String, format: ElderCommand.Edit.EditFileFormat) throws {
        switch format {
        case .jsonl:
            reader = try EditFileReader(path: file)
            // Lines with content, for the progress bar (a cheap pass; the reader validates as it goes).
            let data = (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()
            total = data.split(separator: 0x0A).filter { line in line.contains { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0D) } }.count
            notImported = 0
        case .zsre, .counterfact:
            let result = try (format == .zsre ? ZsREImporter.read(path: file) : CounterFactImporter.read(path: file))
            imported = result.records
            total = result.records.count
            notImported = result.skipped
        }
    }

    func next() throws -> EditRecord? {
        if let reader { return try reader.nextRecord() }
        guard index < imported.count else { return nil }
        defer { index += 1 }
        return imported[index]
    }
}

/// Counts what a stream committed, for the Ctrl-C message (read on the signal queue, hence the lock), and
/// writes the stream's event lines under the same lock, so the interrupt's own line never cuts one in two.
final class InterruptCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var committed = 0
    private var skipped = 0
    private let jsonLines: Bool

    init(jsonLines: Bool = false) { self.jsonLines = jsonLines }

    /// One event as a line of compact JSON on standard output.
    func write<Event: Encodable>(_ event: Event) throws {
        let data = try EditStreamEvent.encode(event)
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardOutput.write(data)
        Console.printedDocument = true
    }

    func set(committed n: Int) { lock.lock(); committed = n; lock.unlock() }
    func set(skipped n: Int) { lock.lock(); skipped = n; lock.unlock() }

    /// Replaces the default SIGINT/SIGTERM action by one line saying what was kept, then exit 130 (143).
    func install(branch: String) -> Cancellable {
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                lock.lock()   // held until _exit: no event line starts after this one
                let (c, s) = (committed, skipped)
                if jsonLines, let line = try? EditStreamEvent.encode(EditStreamEvent.Interrupted(committed: c, skipped: s, signal: sig)) {
                    FileHandle.standardOutput.write(line)
                }
                let text = (isatty(STDERR_FILENO) == 1 ? "\r\u{1B}[K" : "") + "interrupted: the edit in progress was not committed; \(c) edit\(c == 1 ? "" : "s") committed on \(branch)"
                    + (s > 0 ? ", \(s) skipped" : "") + ". Rerun the same command to resume.\n"
                FileHandle.standardError.write(Data(text.utf8))
                _exit(128 + sig)
            }
            source.resume()
            sources.append(source)
        }
        return Cancellable {
            for source in sources { source.cancel() }
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
    }

    struct Cancellable {
        let cancel: () -> Void
    }
}
