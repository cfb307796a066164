import ArgumentParser
import ElderCommandLine
import ElderLab
import ElderModel
import Foundation

extension ElderBenchCommand {
    /// Tokenizer time against input length on text without spaces (one pre-tokenizer word as long as the text,
    /// the input BPE merging once took quadratic time on): linear means the 80k/10k ratio stays near 8.
    struct Tokenizer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tokenizer",
            abstract: "Time the tokenizer on 10k, 20k, 40k and 80k characters without spaces.",
            discussion: "Example: elder-bench tokenizer --model smollm2-135m --runs 3")

        @OptionGroup var model: ModelOption
        @Option(help: "Timed repetitions of each length (medians are reported).") var runs: Int = 3
        @Option(help: "Folder for the Markdown and JSON report.") var out: String = "reports"

        func validate() throws {
            guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        }

        func run() throws {
            let path = try ModelOption.asUserError { try ModelLocator.resolve(model.model) }
            // Lower-case letters in a fixed pseudo-random order: one long word, many distinct merges.
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            let letters = Array("abcdefghijklmnopqrstuvwxyz")
            let text = String((0..<80_000).map { _ -> Character in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return letters[Int(state >> 59) % letters.count]
            })
            var rows: [[String: Any]] = []
            for length in [10_000, 20_000, 40_000, 80_000] {
                let input = String(text.prefix(length))
                var times: [Double] = [], tokens = 0
                for _ in 0..<runs {
                    // A fresh tokenizer each run: its word cache would answer the second run at once.
                    let tokenizer = try ModelOption.asUserError { try LoadedModel.loadTokenizer(path: path) }
                    let start = Date()
                    tokens = tokenizer.encode(input).count
                    times.append(Date().timeIntervalSince(start))
                }
                rows.append(["characters": length, "tokens": tokens, "secondsMedian": medianOrZero(times)])
            }
            let t10 = rows[0]["secondsMedian"] as? Double ?? 0, t80 = rows[3]["secondsMedian"] as? Double ?? 0
            let ratio = t10 > 0 ? t80 / t10 : 0
            let result: [String: Any] = ["model": path, "runs": runs, "lengths": rows, "ratio80kTo10k": ratio,
                                         "date": ISO8601DateFormatter().string(from: Date())]
            let table = rows.map { r in
                "| \(r["characters"]!) | \(r["tokens"]!) | \(String(format: "%.3f", r["secondsMedian"] as? Double ?? 0)) s |"
            }.joined(separator: "\n")
            let markdown = """
                # elder-bench tokenizer

                Model: `\(path)`; text without spaces (one word); medians of \(runs) runs. Ratio 80k / 10k: \(String(format: "%.1f", ratio)) (linear: 8).

                | characters | tokens | time |
                | ---: | ---: | ---: |
                \(table)

                """
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try markdown.write(toFile: out + "/bench-tokenizer.md", atomically: true, encoding: .utf8)
            try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: out + "/bench-tokenizer.json"))
            print(markdown)
        }
    }
}
