import Foundation

/// llama.cpp's `llama-bench`, run beside Elder on the same model file, prompt length, generated tokens and
/// thread count, so a report's ratio comes from one run on one machine. The binary is built outside the
/// project (`--peer PATH` or $ELDER_PEER_LLAMA_BENCH); it prints one JSON object per test.
struct PeerLlamaBench {
    /// The binary to run.
    let path: String

    /// The environment variable naming the binary when `--peer` is not given.
    static let variable = "ELDER_PEER_LLAMA_BENCH"

    /// The binary named by `option` or the environment, or why there is none (a line for the report).
    static func locate(option: String?) -> Result<PeerLlamaBench, PeerUnavailable> {
        guard let path = option ?? ProcessInfo.processInfo.environment[variable], !path.isEmpty else {
            return .failure(PeerUnavailable(reason: "no llama-bench given (--peer PATH or $\(variable)): llama.cpp not measured"))
        }
        guard FileManager.default.isExecutableFile(atPath: path) else {
            return .failure(PeerUnavailable(reason: "\(path) is not an executable file: llama.cpp not measured"))
        }
        return .success(PeerLlamaBench(path: path))
    }

    /// Mean tokens/s of llama.cpp's prompt-processing and generation tests (llama-bench's `avg_ts`).
    struct Rates {
        var prompt: Double
        var generation: Double
        /// The peer's own description of the model (`model_type`, e.g. "llama 256M Q4_1").
        var modelType: String
    }

    /// Runs `llama-bench -m model -p promptTokens -n newTokens -t threads -r repetitions -o json`.
    func measure(model: String, promptTokens: Int, newTokens: Int, threads: Int, repetitions: Int) throws -> Rates {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-m", model, "-p", "\(promptTokens)", "-n", "\(newTokens)", "-t", "\(threads)",
                             "-r", "\(repetitions)", "-o", "json"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PeerUnavailable(reason: "\(path) exited with status \(process.terminationStatus) on \(model)")
        }
        guard let tests = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw PeerUnavailable(reason: "\(path) printed no JSON list of tests")
        }
        func rate(_ isPrompt: Bool) -> Double? {
            tests.first { (($0[isPrompt ? "n_prompt" : "n_gen"] as? Int) ?? 0) > 0 }?["avg_ts"] as? Double
        }
        guard let prompt = rate(true), let generation = rate(false) else {
            throw PeerUnavailable(reason: "\(path) reported no prompt and generation rates")
        }
        return Rates(prompt: prompt, generation: generation, modelType: tests.first?["model_type"] as? String ?? "?")
    }
}

/// Why llama.cpp was not measured: one line in the report.
struct PeerUnavailable: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
