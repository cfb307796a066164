import ArgumentParser
import ElderCommandLine
import Foundation

extension ElderBenchCommand.Edit {
    /// `--method a,b,c`: runs `elder-bench edit` once per method, each in its own process (so each method's
    /// peak memory is its own), one after another in this run, and writes one table of all of them.
    func runEach() throws {
        var documents: [EditBenchReport.Document] = []
        for m in methods {
            FileHandle.standardError.write(Data("== \(m)\n".utf8))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: BackgroundLaunch.currentExecutable())
            process.arguments = ["edit", "--method", m, "--edits", String(edits), "--model", model, "--file", file, "--out", out]
                + configurationSettings.settings.flatMap { ["--set", $0] }
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw CommandFailure(description: "elder-bench edit --method \(m) failed (exit \(process.terminationStatus)); see its messages above")
            }
            let path = URL(fileURLWithPath: out).appendingPathComponent("edit-\(m)-\(edits).json")
            documents.append(try JSONDecoder().decode(EditBenchReport.Document.self, from: Data(contentsOf: path)))
        }
        let comparison = EditBenchComparison(documents: documents)
        let name = "edit-compare-\(documents.first?.report.rows.count ?? edits)"
        try comparison.markdown.write(toFile: URL(fileURLWithPath: out).appendingPathComponent(name + ".md").path,
                                      atomically: true, encoding: .utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(comparison).write(to: URL(fileURLWithPath: out).appendingPathComponent(name + ".json"), options: .atomic)
        print(comparison.markdown)
    }
}

/// Several methods' edit benchmarks from one run, as one table (Markdown) and one JSON document.
struct EditBenchComparison: Codable {
    var documents: [EditBenchReport.Document]

    var markdown: String {
        guard let first = documents.first else { return "# Edit benchmark: no methods\n" }
        let r = first.report
        func f(_ x: Double?, _ digits: Int = 2) -> String { x.map { String(format: "%.\(digits)f", $0) } ?? "–" }
        var md = """
        # Edit benchmark: \(documents.map(\.report.method).joined(separator: ", ")), \(r.rows.count) edits each

        Model `\(r.model)`; edits: first \(r.rows.count) of `\(r.editFile)`, made in sequence, each method in its own process,
        one after another in one run (\(r.date)). Machine: \(r.cores) cores (shared with other work while measured: compare
        the ratios), OpenBLAS threads \(r.openBLASThreads.map(String.init) ?? "unset (= \(r.cores))"); peak used for the
        fraction: \(f(r.peak, 0)) GFLOP/s (93 per core, FMA loop). "× \(r.method)" = median s/edit over \(r.method)'s.

        | method | median s/edit | × \(r.method) | p90 s/edit | median CPU s/edit | median steps | converged | GFLOP/edit | GFLOP/s | of peak | peak RSS | frozen s | steps s | s/step | memory s |
        | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |

        """
        let reference = first.summary.medianSeconds
        for d in documents {
            let s = d.summary
            md += "| \(d.report.method) | \(f(s.medianSeconds)) | \(f(s.medianSeconds / reference)) | \(f(s.p90Seconds)) | "
                + "\(f(s.medianCPUSeconds)) | \(f(s.medianSteps, 0)) | \(s.converged)/\(d.report.rows.count) | \(f(s.medianGFLOP, 1)) | "
                + "\(f(s.medianGFLOPPerSecond, 1)) | \(f(s.fractionOfPeak * 100, 0)) % | \(f(s.peakResidentGB)) GB | "
                + "\(f(s.medianFrozenSeconds, 3)) | \(f(s.medianStepsSeconds, 3)) | \(f(s.medianSecondsPerStep, 3)) | \(f(s.medianMemorySeconds, 3)) |\n"
        }
        md += "\nPer-edit rows of each method: edit-<method>-\(r.rows.count).md beside this file. Time split = median CPU seconds "
            + "per edit in the frozen pass, the training steps and the memory update. Peak RSS = each method's process "
            + "(getrusage maxrss), model included.\n"
        return md
    }
}
