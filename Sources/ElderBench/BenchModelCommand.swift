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
    /// Base-model speed: load time, prompt processing and generation throughput, peak memory.
    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "model",
            abstract: "Benchmark loading, prompt processing and generation of the base model.",
            discussion: "Example: OPENBLAS_NUM_THREADS=1 elder-bench model --model smollm2-135m --runs 5")

        @OptionGroup var model: ModelOption
        @Option(help: "Timed repetitions of each measurement (medians are reported).") var runs: Int = 5
        @Option(help: "Prompt length in tokens.") var promptTokens: Int = 64
        @Option(help: "Tokens generated per run.") var newTokens: Int = 64
        @Option(help: "Folder for the Markdown and JSON report.") var out: String = "reports"
        @Option(help: "OpenBLAS and decode-kernel threads (default: $OPENBLAS_NUM_THREADS or OpenBLAS's own choice).")
        var threads: Int?

        func validate() throws {
            guard runs >= 1, promptTokens >= 1, newTokens >= 1 else { throw ValidationError("--runs, --prompt-tokens and --new-tokens must be at least 1") }
        }

        func run() throws {
            let path = try ModelOption.asUserError { try ModelLocator.resolve(model.model) }
            if let threads { BLAS.threadCount = max(1, threads) }
            var loadTimes: [Double] = []
            var loaded: LoadedModel?
            for _ in 0..<max(1, min(runs, 3)) {
                loaded = nil  // one model in memory at a time, so max RSS is one model's
                let t = Date()
                loaded = try ModelOption.asUserError { try LoadedModel.load(path: path) }
                loadTimes.append(Date().timeIntervalSince(t))
            }
            guard let loaded else { return }
            let m = loaded.model
            let text = "The history of the city begins with a small settlement on the river, where traders met to exchange goods. "
            var prompt = loaded.tokenizer.encode(text)
            while prompt.count < promptTokens { prompt += loaded.tokenizer.encode(text) }
            prompt = Array(prompt.prefix(promptTokens))

            // Peak memory of the model as used, before the float32-only comparison copies anything.
            var (promptRates, generationRates, perCPU) = measure(m, prompt: prompt)
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let peakMB = Double(usage.ru_maxrss) / 1024
            // The same decoding on float32 weights only (interleaved runs would be fairer; both are medians).
            var float32Rates: [Double] = []
            if m.usesPackedDecoding {
                float32Rates = measure(m.withoutPackedDecoding(), prompt: prompt).generation
                let again = measure(m, prompt: prompt)
                promptRates += again.prompt
                generationRates += again.generation
                perCPU += again.generationPerCPUSecond
            }
            let coreName = String(cString: openblas_get_corename())

            let result: [String: Any] = [
                "model": path, "cores": ProcessInfo.processInfo.activeProcessorCount, "openblasThreads": BLAS.threadCount,
                "openblasCore": coreName, "packedDecoding": m.usesPackedDecoding,
                "generationFloat32TokensPerSecondMedian": float32Rates.isEmpty ? NSNull() : medianOrZero(float32Rates) as Any,
                "runs": runs, "promptTokens": prompt.count, "newTokens": newTokens,
                "loadSecondsMedian": medianOrZero(loadTimes), "promptTokensPerSecondMedian": medianOrZero(promptRates),
                "generationTokensPerSecondMedian": medianOrZero(generationRates),
                "generationTokensPerThreadCPUSecondMedian": medianOrZero(perCPU), "peakRSSMegabytes": peakMB,
                "date": ISO8601DateFormatter().string(from: Date()),
            ]
            var rows = [
                "| load (dequantize to float32) | \(String(format: "%.3f", medianOrZero(loadTimes))) s |",
                "| prompt processing, \(prompt.count) tokens | \(String(format: "%.1f", medianOrZero(promptRates))) tokens/s |",
                "| generation, \(newTokens) new tokens\(m.usesPackedDecoding ? " (quantized-block kernels)" : "") | \(String(format: "%.1f", medianOrZero(generationRates))) tokens/s |",
            ]
            if BLAS.threadCount == 1 {
                rows.append("| generation per CPU-second of the decoding thread | \(String(format: "%.1f", medianOrZero(perCPU))) tokens/s |")
            }
            if !float32Rates.isEmpty {
                rows.append("| generation, float32 weights only | \(String(format: "%.1f", medianOrZero(float32Rates))) tokens/s |")
            }
            rows.append("| peak memory (max RSS) | \(String(format: "%.0f", peakMB)) MB |")
            let markdown = """
                # elder-bench model

                Model: `\(path)`  
                Machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, OpenBLAS threads \(BLAS.threadCount) (kernels: \(coreName)); medians of \(promptRates.count) runs (load: \(loadTimes.count)).

                | measure | median |
                | --- | --- |

                """ + rows.joined(separator: "\n") + "\n"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try markdown.write(toFile: out + "/bench-model.md", atomically: true, encoding: .utf8)
            try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: out + "/bench-model.json"))
            print(markdown)
        }

        /// Prompt-processing and generation rates (tokens/s) of `runs` greedy runs.
        private func measure(_ m: LlamaModel, prompt: [Int]) -> (prompt: [Double], generation: [Double], generationPerCPUSecond: [Double]) {
            var promptRates: [Double] = [], generationRates: [Double] = [], perCPU: [Double] = []
            for _ in 0..<runs {
                let cache = KVCache(configuration: m.configuration, reserve: prompt.count + newTokens)
                let t0 = Date()
                var logits = m.forward(prompt, cache: cache, lastOnly: true)
                let t1 = Date(), c1 = threadCPUSeconds()
                var sampler = Sampler(.greedy)
                for _ in 0..<newTokens {
                    logits = m.forward([sampler.sample(logits.scalars)], cache: cache)
                }
                let t2 = Date(), c2 = threadCPUSeconds()
                promptRates.append(Double(prompt.count) / t1.timeIntervalSince(t0))
                generationRates.append(Double(newTokens) / t2.timeIntervalSince(t1))
                perCPU.append(Double(newTokens) / (c2 - c1))
            }
            return (promptRates, generationRates, perCPU)
        }

        /// CPU time of the calling thread: on a shared machine, what one quiet core would take
        /// (meaningful when decoding runs on this thread alone: one BLAS thread).
        private func threadCPUSeconds() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
    }
}
