import ArgumentParser
import Elder
import ElderCommandLine
import ElderEditing
import ElderEval
import ElderModel
import ElderStore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension ElderBenchCommand {
    /// The review pages' History page on a long history: server time and page weight.
    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "review",
            abstract: "Benchmark the review pages: time and weight of the History page of a repo with many edits.",
            discussion: """
                Builds a knowledge repo whose main branch holds --edits edits: one trained edit, then records-only \
                commits landed through Workspace.land (each a real edit record with its metrics and trailers, copied \
                from the trained one under a new prompt and answer, and no tensor change: the History page reads only \
                commits, trailers and records, so what it costs is what a trained history costs). Starts `elder serve` \
                on it and asks, --requests times each: the History page as it opens (the newest 100), the whole history \
                on one page, and a text filter over all of it. The server's own time per request comes from its log \
                (the `ms` of each request line); the client's time and the bytes from the responses. Writes \
                bench-review.md and bench-review.json.
                Example: OPENBLAS_NUM_THREADS=1 elder-bench review --edits 1000
                """)

        @OptionGroup var model: ModelOption
        @Option(help: "Edits on main.") var edits: Int = 1000
        @Option(help: "Requests per page.") var requests: Int = 20
        @Option(help: "Folder for the Markdown and JSON report.") var out: String = "reports"

        func validate() throws {
            guard edits >= 1, requests >= 1 else { throw ValidationError("--edits and --requests must be positive") }
        }

        struct PageResult {
            var label: String
            var path: String
            var serverMS: [Double]
            var clientMS: [Double]
            var bytes: Int
            var rows: Int
        }

        func run() async throws {
            let modelPath = try ModelOption.asUserError { try ModelLocator.resolve(model.model) }
            let folder = NSTemporaryDirectory() + "elder-bench-review-\(getpid())"
            try? FileManager.default.removeItem(atPath: folder)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let repo = folder + "/facts"
            try ElderChild.run(["init", repo, "--model", modelPath, "--quiet"], in: folder)
            let buildStart = Date()
            try Self.buildHistory(repo: repo, edits: edits)
            let buildSeconds = Date().timeIntervalSince(buildStart)
            print("built \(edits) edits in \(String(format: "%.1f", buildSeconds)) s")

            let loadBefore = loadAverage()
            let server = try await ElderChild.Server(repo: repo, extra: [])
            defer { server.stop() }
            let pages = [("History as it opens (newest 100)", "/history?branch=main"),
                         ("whole history on one page", "/history?branch=main&limit=100000"),
                         ("filter over the whole history", "/history?branch=main&q=fact+number+7")]
            var results: [PageResult] = []
            _ = try await fetch(server.port, pages[0].1)   // the first request opens the repo's objects
            for (label, path) in pages {
                let logged = Self.historyLines(server.log).count
                var client: [Double] = [], bytes = 0, rows = 0
                for _ in 0..<requests {
                    let start = Date()
                    let body = try await fetch(server.port, path)
                    client.append(Date().timeIntervalSince(start) * 1e3)
                    bytes = body.count
                    rows = body.components(separatedBy: "<tr>").count - 2
                }
                try await Task.sleep(nanoseconds: 200_000_000)
                let serverTimes = Self.historyLines(server.log).dropFirst(logged).compactMap { $0["ms"].flatMap(Double.init) }
                results.append(PageResult(label: label, path: path, serverMS: Array(serverTimes), clientMS: client, bytes: bytes, rows: rows))
            }
            try write(results, buildSeconds: buildSeconds, load: (loadBefore, loadAverage()), model: modelPath)
        }

        /// One trained edit, then `edits - 1` records-only commits through the landing path.
        static func buildHistory(repo: String, edits: Int) throws {
            let workspace = try Workspace.open(at: repo)
            let trained = try workspace.edit(EditRequest(id: "", prompt: "The capital of France is", target: " Lyon"), gate: .off)
            guard var template = try workspace.history.editRecord(trained.editID, at: trained.commit) else {
                throw ValidationError("the trained edit has no record")
            }
            let trailers = try workspace.store.info(of: trained.commit).trailers.filter { !$0.key.lowercased().hasPrefix("elder-") }
                .sorted { $0.key < $1.key }.map { Trailer($0.key, $0.value) }
            let state = try workspace.editor(for: try workspace.version(of: trained.commit))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            var tip = trained.commit
            for i in 1..<edits {
                template.prompt = "Fact number \(i) of the benchmark is"
                template.target = " value \(i)"
                template.id = Workspace.contentEditID(prompt: template.prompt, target: template.target)
                template.message = "Edit \"\(template.prompt)\" → \"\(template.target)\"\n\nSource: the review benchmark, record \(i)"
                var change = KnowledgeChange(branch: "main", parents: [tip], state: state, tensors: StoredState(), message: template.message)
                change.edit = StoredEditRecord(id: template.id, json: Array(try encoder.encode(template)))
                change.trailers = trailers
                tip = try workspace.land(change, verify: false, repair: false).commit
            }
        }

        /// The server's log lines for /history requests, oldest first.
        static func historyLines(_ log: String) -> [[String: String]] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                guard let entry = try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String],
                      entry["message"] == "request", entry["path"] == "/history" else { return nil }
                return entry
            }
        }

        func fetch(_ port: Int, _ path: String) async throws -> String {
            guard let url = URL(string: "http://127.0.0.1:\(port)" + path) else { throw ValidationError("bad path \(path)") }
            let (data, response) = try await URLSession.shared.data(from: url)
            guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw ValidationError("\(path) answered \(response)") }
            return String(decoding: data, as: UTF8.self)
        }

        func write(_ results: [PageResult], buildSeconds: Double, load: (String, String), model: String) throws {
            func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
            func percentile(_ xs: [Double], _ p: Double) -> Double {
                guard !xs.isEmpty else { return .nan }
                let sorted = xs.sorted()
                return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
            }
            let opening = results.first.map { percentile($0.serverMS, 0.5) } ?? .infinity
            var lines = [
                "# elder-bench review", "",
                (LifelongReport.standardEnvironment(model: model) + [("load average before / after", "\(load.0) / \(load.1)")])
                    .map { "\($0.0): \($0.1)" }.joined(separator: " · "), "",
                "History of main with \(edits) edits (one trained, the rest records-only commits landed through Workspace.land, "
                    + "built in \(f(buildSeconds)) s); \(requests) sequential requests per page on loopback after one warm-up request. "
                    + "Server time: the `ms` the server logs for the request (routing, reading the repo, rendering, writing the body); "
                    + "client time: until the last byte arrived (URLSession).", "",
                "| page | rows | bytes | server p50 | server p90 | server max | client p50 |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            for r in results {
                lines.append("| \(r.label) (`\(r.path)`) | \(r.rows) | \(r.bytes) | \(f(percentile(r.serverMS, 0.5))) ms | "
                             + "\(f(percentile(r.serverMS, 0.9))) ms | \(f(r.serverMS.max() ?? .nan)) ms | \(f(percentile(r.clientMS, 0.5))) ms |")
            }
            lines += ["", "Target: the History page of a 1,000-edit repo in ≤ 300 ms of server time: \(f(opening)) ms (p50, as it opens) — "
                        + (opening <= 300 ? "met" : "not met") + "."]
            let markdown = lines.joined(separator: "\n") + "\n"
            let document: [String: Any] = [
                "environment": Dictionary(uniqueKeysWithValues: LifelongReport.standardEnvironment(model: model)),
                "loadAverage": ["before": load.0, "after": load.1], "edits": edits, "requests": requests, "buildSeconds": buildSeconds,
                "pages": results.map { ["label": $0.label, "path": $0.path, "rows": $0.rows, "bytes": $0.bytes, "serverMS": $0.serverMS,
                                        "clientMS": $0.clientMS] },
            ]
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try markdown.write(toFile: out + "/bench-review.md", atomically: true, encoding: .utf8)
            try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: out + "/bench-review.json"))
            print(markdown)
        }
    }
}
