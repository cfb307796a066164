import ArgumentParser
import ElderCommandLine
import ElderEval
import ElderLab
import ElderModel
import Foundation

extension ElderBenchCommand {
    /// `elder serve` under load from real HTTP clients on loopback, beside `elder ask` in a loop.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Benchmark elder serve: throughput, latency and memory under 1, 4 and 16 clients, against elder ask in a loop.",
            discussion: """
                Builds a knowledge repo with four versions (tags v0…v3, three real edits), starts `elder serve` on it in \
                its own process, and drives it with streaming clients (URLSession) for --seconds per configuration: \
                1, 4 and 16 concurrent clients on one version and on the four; then 16 clients on a server started with \
                --batch-size 1 (what batching gains); then `elder ask` in a loop, a process per request, as the baseline. \
                Writes bench-serve.md and bench-serve.json.
                Example: OPENBLAS_NUM_THREADS=1 elder-bench serve --seconds 20
                """)

        @OptionGroup var model: ModelOption
        @Option(help: "Seconds of load per configuration.") var seconds: Double = 20
        @Option(help: "Tokens per answer (max_tokens).") var maxTokens: Int = 32
        @Option(help: "elder ask runs for the baseline.") var askRuns: Int = 5
        @Option(help: "Folder for the Markdown and JSON report.") var out: String = "reports"

        static let prompts = ["The capital of France is", "Once upon a time, in a small village,", "The history of the city begins with",
                              "1, 2, 3, 4, 5,"]
        static let edits = [("The capital of France is", " Lyon"), ("The largest planet is", " Saturn"), ("The author of Hamlet is", " Marlowe")]

        func validate() throws {
            guard seconds > 0, maxTokens >= 1, askRuns >= 1 else { throw ValidationError("--seconds, --max-tokens and --ask-runs must be positive") }
        }

        func run() async throws {
            let modelPath = try ModelOption.asUserError { try ModelLocator.resolve(model.model) }
            let loadBefore = loadAverage()
            let (folder, repo) = try Self.makeFourVersionRepo(model: modelPath, named: "elder-bench-serve")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let versions = ["v0", "v1", "v2", "v3"]

            var runs: [ServeLoad.Result] = []
            let batched = try await ElderChild.Server(repo: repo, extra: ["--cache-mb", "1024"])
            let load = ServeLoad(port: batched.port, prompts: Self.prompts, maxTokens: maxTokens)
            _ = await load.run(clients: versions.count, versions: versions, for: .requests(each: 1))   // every version rebuilt once
            for set in [["main"], versions] {
                for clients in [1, 4, 16] {
                    print("load: \(clients) client(s) on \(set.joined(separator: ", ")) for \(seconds) s")
                    runs.append(await load.run(clients: clients, versions: set, for: .seconds(seconds)))
                }
            }
            let memory = batched.memory()
            let cached = try await batched.metric("elder_version_cache_entries_count") ?? 0
            batched.stop()

            print("load: 16 clients on main, --batch-size 1")
            let single = try await ElderChild.Server(repo: repo, extra: ["--batch-size", "1"])
            let singleLoad = ServeLoad(port: single.port, prompts: Self.prompts, maxTokens: maxTokens)
            _ = await singleLoad.run(clients: 1, versions: ["main"], for: .requests(each: 1))
            let unbatched = await singleLoad.run(clients: 16, versions: ["main"], for: .seconds(seconds))
            single.stop()

            print("baseline: elder ask in a loop (\(askRuns) runs)")
            var askSeconds: [Double] = [], askTokens = 0
            for i in 0..<askRuns {
                let t = Date()
                let output = try ElderChild.run(["ask", Self.prompts[i % Self.prompts.count], "--max-tokens", String(maxTokens), "--json"], in: repo)
                askSeconds.append(Date().timeIntervalSince(t))
                let report = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
                askTokens += (report?["tokens"] as? [Any])?.count ?? 0
            }
            let askRate = Double(askTokens) / askSeconds.reduce(0, +)
            try write(runs: runs, unbatched: unbatched, memory: memory, cached: Int(cached), load: (loadBefore, loadAverage()),
                      askSeconds: askSeconds, askRate: askRate, model: modelPath)
        }

        /// A new folder under the temporary directory holding `facts`, a knowledge repo with four versions (tags
        /// v0…v3: the base model and then one more of `edits` each), made by `binary`. The caller removes the
        /// folder; a failure removes it here.
        static func makeFourVersionRepo(model: String, named name: String,
                                        binary: String = ElderChild.binary) throws -> (folder: String, repo: String) {
            let folder = NSTemporaryDirectory() + "\(name)-\(getpid())"
            try? FileManager.default.removeItem(atPath: folder)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let repo = folder + "/facts"
            do {
                print("building a repo with four versions in \(repo)")
                try ElderChild.run(["init", repo, "--model", model, "--quiet"], in: folder, binary: binary)
                try ElderChild.run(["tag", "v0"], in: repo, binary: binary)
                for (i, edit) in edits.enumerated() {
                    try ElderChild.run(["edit", edit.0, edit.1, "-m", "Bench edit \(i + 1)", "--quiet"], in: repo, binary: binary)
                    try ElderChild.run(["tag", "v\(i + 1)"], in: repo, binary: binary)
                }
            } catch {
                try? FileManager.default.removeItem(atPath: folder)
                throw error
            }
            return (folder, repo)
        }

        func write(runs: [ServeLoad.Result], unbatched: ServeLoad.Result, memory: (peak: Int, now: Int), cached: Int, load: (String, String),
                   askSeconds: [Double], askRate: Double, model: String) throws {
            func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
            func ms(_ x: Double) -> String { f(x * 1e3, 0) + " ms" }
            func row(_ r: ServeLoad.Result, _ label: String) -> String {
                "| \(label) | \(r.clients) | \(r.samples.count) | \(f(r.throughput)) | \(f(r.throughput / max(askRate, 1e-9))) × | "
                    + "\(ms(r.percentile(0.5, \.firstToken))) | \(ms(r.percentile(0.99, \.firstToken))) | "
                    + "\(ms(r.percentile(0.5, \.latency))) | \(ms(r.percentile(0.99, \.latency))) | \(r.failures) |"
            }
            let one = runs.first { $0.clients == 1 && $0.versions.count == 1 }
            let sixteen = runs.first { $0.clients == 16 && $0.versions.count == 1 }
            let firstToken = one?.percentile(0.5, \.firstToken) ?? .infinity
            let scaling = (sixteen?.throughput ?? 0) / max(one?.throughput ?? 0, 1e-9)
            let batchGain = (sixteen?.throughput ?? 0) / max(unbatched.throughput, 1e-9)
            let peakGB = Double(memory.peak) / 1e9
            let check = { (ok: Bool) in ok ? "met" : "not met" }
            var lines = [
                "# elder-bench serve", "",
                (LifelongReport.standardEnvironment(model: model) + [("load average before / after", "\(load.0) / \(load.1)")])
                    .map { "\($0.0): \($0.1)" }.joined(separator: " · "), "",
                "Streamed completions of \(maxTokens) tokens (greedy), \(f(seconds, 0)) s of load per row, clients on loopback (URLSession); "
                    + "\"one version\" is `main`, \"four versions\" are tags v0…v3, client i asking version i mod 4.", "",
                "| versions | clients | answers | tokens/s (all clients) | vs `elder ask` loop | first token p50 | p99 | latency p50 | p99 | failed |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            lines += runs.map { row($0, $0.versions.count == 1 ? "one" : "four") }
            lines.append(row(unbatched, "one, --batch-size 1"))
            lines += [
                "", "`elder ask` in a loop (a process per request, model loaded each time): \(f(askRate)) tokens/s, "
                    + "\(f(medianOrZero(askSeconds), 2)) s per request (median of \(askSeconds.count)).", "",
                "| target | measured | |", "| --- | --- | --- |",
                "| first token ≤ 150 ms at 1 client | \(ms(firstToken)) (p50) | \(check(firstToken <= 0.150)) |",
                "| 16 clients ≥ 2× the 1-client rate | \(f(scaling, 2)) × | \(check(scaling >= 2)) |",
                "| ≤ 1.2 GB with 4 versions cached | \(f(peakGB, 2)) GB peak (\(cached) versions cached; \(f(Double(memory.now) / 1e9, 2)) GB after) | \(check(peakGB <= 1.2 && cached >= 4)) |",
                "| batching pays (16 clients, one version) | \(f(batchGain, 2)) × the rate with --batch-size 1 | \(check(batchGain > 1)) |",
            ]
            let markdown = lines.joined(separator: "\n") + "\n"
            func json(_ r: ServeLoad.Result) -> [String: Any] {
                ["clients": r.clients, "versions": r.versions, "answers": r.samples.count, "failures": r.failures, "seconds": r.seconds,
                 "tokens": r.tokens, "tokensPerSecond": r.throughput,
                 "firstTokenP50": r.percentile(0.5, \.firstToken), "firstTokenP99": r.percentile(0.99, \.firstToken),
                 "latencyP50": r.percentile(0.5, \.latency), "latencyP99": r.percentile(0.99, \.latency)]
            }
            let document: [String: Any] = [
                "environment": Dictionary(uniqueKeysWithValues: LifelongReport.standardEnvironment(model: model)),
                "loadAverage": ["before": load.0, "after": load.1],
                "maxTokens": maxTokens, "secondsPerRun": seconds, "runs": runs.map(json), "unbatched": json(unbatched),
                "askLoop": ["seconds": askSeconds, "tokensPerSecond": askRate],
                "peakResidentBytes": memory.peak, "residentBytesAfter": memory.now, "versionsCached": cached,
                "scaling16over1": scaling, "batchingGain": batchGain,
            ]
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try markdown.write(toFile: out + "/bench-serve.md", atomically: true, encoding: .utf8)
            try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: out + "/bench-serve.json"))
            print(markdown)
        }
    }
}
