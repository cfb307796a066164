import ArgumentParser
import ElderCommandLine
import ElderModel
import Foundation

extension ElderBenchCommand {
    /// Resident memory of the product's commands, each in its own process: `elder ask`, `elder edit` and
    /// `elder serve` with four versions cached, against the targets of the issue that set them.
    struct Memory: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure the peak resident memory of elder ask, elder edit and elder serve with four versions cached.",
            discussion: """
                Builds a knowledge repo with four versions (tags v0…v3, three real edits), then runs, each in its own \
                process: `elder ask` (peak from GNU time), one more `elder edit` (GNU time), and `elder serve` answering \
                one request on each of the four versions (the server's VmHWM from /proc). --elder measures another \
                build of the `elder` binary (e.g. before a change), on the same repo recipe. Writes bench-memory.md \
                and bench-memory.json.
                Example: elder-bench memory --model smollm2-135m
                """)

        @OptionGroup var model: ModelOption
        @Option(help: "The elder binary to measure (default: the one beside elder-bench).") var elder: String?
        @Option(help: "Name of this measurement in the report's file names (e.g. before).") var label: String?
        @Option(help: "Folder for the Markdown and JSON report.") var out: String = "reports"

        /// The issue's targets, bytes (SmolLM2-135M).
        static let targets: [(command: String, bytes: Int)] = [("ask", 250 << 20), ("edit", 700 << 20), ("serve, 4 versions cached", 400 << 20)]

        func run() async throws {
            let binary = elder ?? ElderChild.binary
            guard FileManager.default.isExecutableFile(atPath: binary) else {
                throw ValidationError("\(binary) is not an executable elder binary")
            }
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/time") else {
                throw ValidationError("/usr/bin/time is missing: install Debian's time package")
            }
            let modelPath = try ModelOption.asUserError { try ModelLocator.resolve(model.model) }
            let loadBefore = loadAverage()
            let (folder, repo) = try Serve.makeFourVersionRepo(model: modelPath, named: "elder-bench-memory", binary: binary)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            print("elder ask")
            let ask = try peakResident(binary, ["ask", "The capital of France is", "--max-tokens", "16"], in: repo)
            print("elder edit")
            let edit = try peakResident(binary, ["edit", "The tallest mountain is", " Mont Blanc", "-m", "Bench edit 4", "--quiet"], in: repo)
            print("elder serve, one request on each of four versions")
            let server = try await ElderChild.Server(repo: repo, extra: ["--cache-mb", "1024"], binary: binary)
            let versions = ["v0", "v1", "v2", "v3"]
            let load = ServeLoad(port: server.port, prompts: Serve.prompts, maxTokens: 8)
            let served = await load.run(clients: versions.count, versions: versions, for: .requests(each: 1))
            let serve = server.memory().peak
            let cached = try await server.metric("elder_version_cache_entries_count") ?? 0
            server.stop()
            guard served.failures == 0, cached >= 4 else {
                throw ValidationError("elder serve answered \(served.samples.count) of 4 requests with \(Int(cached)) versions cached")
            }
            try write(peaks: [ask, edit, serve], binary: binary, model: modelPath, load: (loadBefore, loadAverage()))
        }

        /// Peak resident bytes of `binary arguments…` (GNU time: its own `wait4` usage of the one process).
        private func peakResident(_ binary: String, _ arguments: [String], in folder: String) throws -> Int {
            let report = folder + "/../time-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: report) }
            try ElderChild.run(["-f", "%M", "-o", report, binary] + arguments, in: folder, binary: "/usr/bin/time")
            let text = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
            guard let last = text.split(whereSeparator: \.isNewline).last, let kilobytes = Int(last) else {
                throw ValidationError("no peak memory from /usr/bin/time: \(text)")
            }
            return kilobytes * 1024
        }

        private func write(peaks: [Int], binary: String, model: String, load: (String, String)) throws {
            func mb(_ bytes: Int) -> String { String(format: "%.0f MB", Double(bytes) / 1_048_576) }
            var rows = ["| command | peak resident memory | target | within |", "| --- | ---: | ---: | --- |"]
            for (target, peak) in zip(Self.targets, peaks) {
                rows.append("| elder \(target.command) | \(mb(peak)) | ≤ \(mb(target.bytes)) | \(peak <= target.bytes ? "yes" : "no") |")
            }
            let markdown = """
                # elder-bench memory\(label.map { " (\($0))" } ?? "")

                Binary: `\(binary)`  
                Model: `\(model)`  
                Load average (1/5/15 min) before \(load.0), after \(load.1). Each command in its own process on a repo \
                with four versions (three edits); peaks from GNU time (ask, edit) and the server's VmHWM (serve, after \
                one request on each version). The targets are SmolLM2-135M's.

                """ + rows.joined(separator: "\n") + "\n"
            let json: [String: Any] = [
                "binary": binary, "model": model, "label": label.map { $0 as Any } ?? NSNull(),
                "peakResidentBytes": Dictionary(uniqueKeysWithValues: zip(Self.targets.map(\.command), peaks)),
                "targetBytes": Dictionary(uniqueKeysWithValues: Self.targets.map { ($0.command, $0.bytes) }),
                "loadAverage": ["before": load.0, "after": load.1], "date": ISO8601DateFormatter().string(from: Date()),
            ]
            let name = "bench-memory" + (label.map { "-" + $0 } ?? "")
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try markdown.write(toFile: out + "/\(name).md", atomically: true, encoding: .utf8)
            try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: out + "/\(name).json"))
            print(markdown)
        }
    }
}
