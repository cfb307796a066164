import ArgumentParser
import ElderModel
import ElderTensor
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ElderCommand.Bench {
    /// Base-model speed: load time, prompt processing and generation throughput, peak memory.
    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "model",
            abstract: "Benchmark loading, prompt processing and generation of the base model.",
            discussion: "Example: OPENBLAS_NUM_THREADS=1 elder bench model --model smollm2-135m --runs 5")

        @OptionGroup var model: ModelOption
        @Option(help: "Timed repetitions of each measurement (medians are reported).") var runs: Int = 5
        @Option(help: "Prompt length in tokens.") var promptTokens: Int = 64
        @Option(help: "Tokens generated per run.") var newTokens: Int = 64
        @Option(help: "Folder for the Markdown and JSON report.") var out: String = "reports"

        func validate() throws {
            guard runs >= 1, promptTokens >= 1, newTokens >= 1 else { throw ValidationError("--runs, --prompt-tokens and --new-tokens must be at least 1") }
        }

        func run() throws {
            let path = try ModelOption.orExit { try ModelLocator.resolve(model.model) }
            var loadTimes: [Double] = []
            var loaded: LoadedModel!
            for _ in 0..<max(1, min(runs, 3)) {
                let t = Date()
                loaded = try ModelOption.orExit { try LoadedModel.load(path: path) }
                loadTimes.append(Date().timeIntervalSince(t))
            }
            let m = loaded.model
            let text = "The history of the city begins with a small settlement on the river, where traders met to exchange goods. "
            var prompt = loaded.tokenizer.encode(text)
            while prompt.count < promptTokens { prompt += loaded.tokenizer.encode(text) }
            prompt = Array(prompt.prefix(promptTokens))

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
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let peakMB = Double(usage.ru_maxrss) / 1024

            let result: [String: Any] = [
                "model": path, "cores": ProcessInfo.processInfo.activeProcessorCount, "openblasThreads": BLAS.threadCount,
                "runs": runs, "promptTokens": prompt.count, "newTokens": newTokens,
                "loadSecondsMedian": median(loadTimes), "promptTokensPerSecondMedian": median(promptRates),
                "generationTokensPerSecondMedian": median(generationRates), "peakRSSMegabytes": peakMB,
                "date": ISO8601DateFormatter().string(from: Date()),
            ]
            let markdown = """
                # elder bench model

                Model: `\(path)`  
                Machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, OpenBLAS threads \(BLAS.threadCount); medians of \(runs) runs (load: \(loadTimes.count)).

                | measure | median |
                | --- | --- |
                | load (dequantize to float32) | \(String(format: "%.3f", median(loadTimes))) s |
                | prompt processing, \(prompt.count) tokens | \(String(format: "%.1f", median(promptRates))) tokens/s |
                | generation, \(newTokens) new tokens | \(String(format: "%.1f", median(generationRates))) tokens/s |
                | peak memory (max RSS) | \(String(format: "%.0f", peakMB)) MB |

                """
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try markdown.write(toFile: out + "/bench-model.md", atomically: true, encoding: .utf8)
            try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: out + "/bench-model.json"))
            print(markdown)
        }

        private func median(_ xs: [Double]) -> Double {
            let s = xs.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
    }
}
