#if canImport(Glibc)
import ArgumentParser
import COpenBLAS
import ElderCommandLine
import ElderLab
import ElderModel
import ElderTensor
import Foundation
import Glibc
#endif

extension ElderBenchCommand {
    /// Base-model speed: load time, prompt processing and generation throughput at each thread count, beside
    /// llama.cpp's `llama-bench` on the same file when one is given; peak memory.
    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "model",
            abstract: "Benchmark loading, prompt processing and generation of the base model, beside llama.cpp.",
            discussion: """
                Each model is measured at each thread count (OpenBLAS and decode-kernel threads); with a llama-bench \
                binary (--peer or $\(PeerLlamaBench.variable), built outside the project) llama.cpp runs on the same \
                GGUF file, prompt length, generated tokens and thread count right after Elder, for --rounds rounds \
                alternating the two, and the report gives Elder / llama.cpp as a ratio (medians over the rounds). \
                Writes bench-model.md and bench-model.json.
                Example: OPENBLAS_NUM_THREADS=1 elder-bench model --model smollm2-135m --model gemma3-270m \
                --threads 1,2 --peer /path/to/llama.cpp/build/bin/llama-bench
                """)

        @Option(name: .long, help: "A known model name (smollm2-135m, gemma3-270m) or a .gguf file; repeat for several (default: smollm2-135m).")
        var model: [String] = []
        @Option(help: "Timed repetitions of each measurement per round (medians are reported).") var runs: Int = 5
        @Option(help: "Rounds of Elder then llama.cpp at each thread count.") var rounds: Int = 2
        @Option(help: "Prompt length in tokens.") var promptTokens: Int = 64
        @Option(help: "Tokens generated per run.") var newTokens: Int = 64
        @Option(help: "Folder for the Markdown and JSON report.") var out: String = "reports"
        @Option(help: "Thread counts, comma-separated (default: $OPENBLAS_NUM_THREADS or OpenBLAS's own choice).")
        var threads: String?
        @Option(help: "llama.cpp's llama-bench binary (default: $\(PeerLlamaBench.variable)); without one, llama.cpp is not measured and the report says so.")
        var peer: String?

        func validate() throws {
            guard runs >= 1, rounds >= 1, promptTokens >= 1, newTokens >= 1 else {
                throw ValidationError("--runs, --rounds, --prompt-tokens and --new-tokens must be at least 1")
            }
            if let threads, threadCounts(threads) == nil { throw ValidationError("--threads: expected thread counts like 1,2") }
        }

        private func threadCounts(_ text: String) -> [Int]? {
            let counts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
            return counts.compactMap { $0 }
        }

        /// One model at one thread count: Elder's and (when measured) llama.cpp's rates, tokens/s.
        struct Row {
            var model: String
            var threads: Int
            var elderPrompt: [Double] = [], elderGeneration: [Double] = []
            var peerPrompt: [Double] = [], peerGeneration: [Double] = []
            var peerModelType: String?
        }

        func run() throws {
            let models = model.isEmpty ? ["smollm2-135m"] : model
            let counts = threads.flatMap(threadCounts) ?? [BLAS.threadCount]
            let located = PeerLlamaBench.locate(option: peer)
            var peerNote: String? = nil
            if case .failure(let why) = located { peerNote = why.reason }
            let loadBefore = loadAverage()
            var rows: [Row] = []
            var loadSeconds: [String: Double] = [:]
            var peakMB = 0.0
            for name in models {
                let path = try ModelOption.asUserError { try ModelLocator.resolve(name) }
                var loadTimes: [Double] = []
                var loaded: LoadedModel?
                for _ in 0..<max(1, min(runs, 3)) {
                    loaded = nil  // one model in memory at a time
                    let t = Date()
                    loaded = try ModelOption.asUserError { try LoadedModel.load(path: path) }
                    loadTimes.append(Date().timeIntervalSince(t))
                }
                guard let loaded else { continue }
                loadSeconds[path] = medianOrZero(loadTimes)
                let prompt = benchPrompt(loaded.tokenizer)
                for count in counts {
                    var row = Row(model: path, threads: count)
                    for _ in 0..<rounds {
                        BLAS.threadCount = count
                        let elder = measure(loaded.model, prompt: prompt)
                        row.elderPrompt += elder.prompt
                        row.elderGeneration += elder.generation
                        guard case .success(let peer) = located, peerNote == nil else { continue }
                        do {
                            let rates = try peer.measure(model: path, promptTokens: prompt.count, newTokens: newTokens,
                                                         threads: count, repetitions: runs)
                            row.peerPrompt.append(rates.prompt)
                            row.peerGeneration.append(rates.generation)
                            row.peerModelType = rates.modelType
                        } catch {
                            peerNote = "\(error)"
                        }
                    }
                    print("\(URL(fileURLWithPath: path).lastPathComponent), \(count) thread(s): Elder generation "
                          + String(format: "%.1f", medianOrZero(row.elderGeneration)) + " tokens/s, llama.cpp "
                          + (row.peerGeneration.isEmpty ? "not measured" : String(format: "%.1f", medianOrZero(row.peerGeneration))))
                    rows.append(row)
                }
                var usage = rusage()
                getrusage(RUSAGE_SELF.rawValue, &usage)
                peakMB = Double(usage.ru_maxrss) / 1024
            }
            try write(rows: rows, loadSeconds: loadSeconds, peakMB: peakMB, peerNote: peerNote, load: (loadBefore, loadAverage()))
        }

        /// The prompt: a fixed English text repeated to `promptTokens` tokens.
        private func benchPrompt(_ tokenizer: any ElderModel.Tokenizer) -> [Int] {
            let text = "The history of the city begins with a small settlement on the river, where traders met to exchange goods. "
            var prompt = tokenizer.encode(text)
            while prompt.count < promptTokens { prompt += tokenizer.encode(text) }
            return Array(prompt.prefix(promptTokens))
        }

        private func write(rows: [Row], loadSeconds: [String: Double], peakMB: Double, peerNote: String?,
                           load: (String, String)) throws {
            func f(_ x: Double) -> String { String(format: "%.1f", x) }
            func ratio(_ a: [Double], _ b: [Double]) -> Double? { b.isEmpty ? nil : medianOrZero(a) / max(medianOrZero(b), 1e-9) }
            func cell(_ xs: [Double]) -> String { xs.isEmpty ? "–" : f(medianOrZero(xs)) }
            func ratioCell(_ r: Double?) -> String { r.map { String(format: "%.2f×", $0) } ?? "–" }
            var table = [
                "| model | threads | Elder prompt | llama.cpp prompt | ratio | Elder generation | llama.cpp generation | ratio |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            for r in rows {
                table.append("| \(URL(fileURLWithPath: r.model).lastPathComponent) | \(r.threads) | \(cell(r.elderPrompt)) | \(cell(r.peerPrompt)) | "
                             + "\(ratioCell(ratio(r.elderPrompt, r.peerPrompt))) | \(cell(r.elderGeneration)) | \(cell(r.peerGeneration)) | "
                             + "\(ratioCell(ratio(r.elderGeneration, r.peerGeneration))) |")
            }
            let loads = loadSeconds.sorted { $0.key < $1.key }.map { "\(URL(fileURLWithPath: $0.key).lastPathComponent) \(String(format: "%.2f", $0.value)) s" }
            let markdown = """
                # elder-bench model

                Machine: \(ProcessInfo.processInfo.activeProcessorCount) cores (OpenBLAS kernels: \(String(cString: openblas_get_corename()))); \
                load average (1/5/15 min) before \(load.0), after \(load.1).
                Prompt \(promptTokens) tokens, then \(newTokens) generated (greedy); tokens/s, medians of \(runs) runs × \(rounds) rounds, \
                Elder and llama.cpp alternating at each thread count. llama.cpp: \(peerNote ?? "llama-bench (its pp\(promptTokens) and tg\(newTokens) tests; tg starts from an empty context)").
                Ratio: Elder / llama.cpp (above 1: Elder faster).

                """ + table.joined(separator: "\n") + """


                Load (median): \(loads.joined(separator: ", ")). Peak memory of this process (max RSS, every model loaded in turn): \(f(peakMB)) MB.

                """
            let json: [String: Any] = [
                "cores": ProcessInfo.processInfo.activeProcessorCount, "runs": runs, "rounds": rounds,
                "promptTokens": promptTokens, "newTokens": newTokens, "peer": peerNote ?? "llama-bench",
                "loadAverage": ["before": load.0, "after": load.1], "loadSecondsMedian": loadSeconds, "peakRSSMegabytes": peakMB,
                "rows": rows.map { r -> [String: Any] in
                    [
                        "model": r.model, "threads": r.threads, "peerModelType": r.peerModelType.map { $0 as Any } ?? NSNull(),
                        "elderPromptTokensPerSecond": r.elderPrompt, "elderGenerationTokensPerSecond": r.elderGeneration,
                        "peerPromptTokensPerSecond": r.peerPrompt, "peerGenerationTokensPerSecond": r.peerGeneration,
                        "promptRatio": ratio(r.elderPrompt, r.peerPrompt).map { $0 as Any } ?? NSNull(),
                        "generationRatio": ratio(r.elderGeneration, r.peerGeneration).map { $0 as Any } ?? NSNull(),
                    ]
                },
                "date": ISO8601DateFormatter().string(from: Date()),
            ]
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try markdown.write(toFile: out + "/bench-model.md", atomically: true, encoding: .utf8)
            try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: out + "/bench-model.json"))
            print(markdown)
        }

        /// Prompt-processing and generation rates (tokens/s) of `runs` greedy runs.
        private func measure(_ m: LlamaModel, prompt: [Int]) -> (prompt: [Double], generation: [Double]) {
            var promptRates: [Double] = [], generationRates: [Double] = []
            for _ in 0..<runs {
                let cache = KVCache(configuration: m.configuration, reserve: prompt.count + newTokens)
                let t0 = Date()
                var logits = m.forward(prompt, cache: cache, lastOnly: true)
                let t1 = Date()
                var sampler = Sampler(.greedy)
                for _ in 0..<newTokens {
                    logits = m.forward([sampler.sample(logits.scalars)], cache: cache)
                }
                let t2 = Date()
                promptRates.append(Double(prompt.count) / t1.timeIntervalSince(t0))
                generationRates.append(Double(newTokens) / t2.timeIntervalSince(t1))
            }
            return (promptRates, generationRates)
        }
    }
}
