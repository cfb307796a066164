import ArgumentParser
import ElderEval
import Foundation

extension ElderBenchCommand {
    /// One comparison report from the JSON reports of separate `bench lifelong` runs on the same edits.
    struct LifelongReportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lifelong-report",
            abstract: "Combine the JSON reports of several lifelong runs into one table and one plot.",
            discussion: """
            Example: elder-bench lifelong-report reports/lifelong-*-1000.json --out reports/compare-1000
            Writes <out>/<name>.md, .json, .svg (exact match) and -token-accuracy.svg: Reliability, Generalization
            and Locality against the number of edits with every method. Runs with different edits, T or model are
            refused. Rename a run with --label FILE=NAME (e.g. a report of elder-paper with
            --set routing=hard made before --label existed).
            """)

        @Argument(help: "JSON reports of `elder-bench lifelong` (one or more methods each).")
        var reports: [String]

        @Option(name: .long, help: "Rename the method of one report: FILE=NAME (repeatable).")
        var label: [String] = []

        @Option(name: .long, help: "Report folder.")
        var out: String = "reports"

        @Option(name: .long, help: "Report file name (default: lifelong-compare-<T>).")
        var name: String?

        @Option(name: .long, help: "Report title.")
        var title: String?

        func run() throws {
            var labels: [String: String] = [:]
            for l in label {
                guard let cut = l.lastIndex(of: "="), cut != l.startIndex, l.index(after: cut) != l.endIndex else {
                    throw ValidationError("--label takes FILE=NAME, got \(l)")
                }
                labels[String(l[..<cut])] = String(l[l.index(after: cut)...])
            }
            var inputs: [LifelongComparison.Input] = []
            for path in reports {
                guard path.hasSuffix(".json") else { throw ValidationError("\(path) is not a JSON report (pass the .json files)") }
                let report = try LifelongReport(contentsOf: path)
                // A glob such as reports/lifelong-*-1000.json also matches an earlier comparison: skip it.
                if report.isComparison {
                    FileHandle.standardError.write(Data("skipping \(path): it is a combined report\n".utf8))
                    continue
                }
                inputs.append(LifelongComparison.Input(source: path, report: report))
            }
            let combined = try LifelongComparison.combine(inputs, labels: labels, title: title)
            let fileName = name ?? "lifelong-compare-\(combined.evaluationProtocol.editCount)"
            let paths = try combined.write(to: out, name: fileName)
            print(combined.markdown)
            FileHandle.standardError.write(Data("wrote \(paths.joined(separator: ", "))\n".utf8))
        }
    }
}
