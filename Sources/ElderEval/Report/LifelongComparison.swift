/// One table for several lifelong runs: the reports of separate runs (one method each, often run as
/// separate background processes) combined into one report with every method, refused when the runs
/// did not measure the same thing (other edits, another T, another model).
public enum LifelongComparison {
    /// A report read from `source` (a file path, named in errors and in the combined notes).
    public struct Input: Sendable {
        public var source: String
        public var report: LifelongReport
        public init(source: String, report: LifelongReport) {
            self.source = source
            self.report = report
        }
    }

    /// Combines `inputs` in order. `labels` renames methods by source path (a variant label, e.g.
    /// "elder-paper-hard"); a report holding one method may be relabelled, one holding several may not.
    public static func combine(_ inputs: [Input], labels: [String: String] = [:],
                               title: String? = nil) throws(ReportError) -> LifelongReport {
        guard let first = inputs.first else { throw ReportError("no reports to combine: pass the JSON reports of the runs") }
        for source in labels.keys where !inputs.contains(where: { $0.source == source }) {
            throw ReportError("--label names \(source), which is not one of the reports given")
        }
        let p0 = first.report.evaluationProtocol
        let model0 = first.report.model
        var methods: [MethodResult] = []
        var checkpoints = Set<Int>()
        for input in inputs {
            let p = input.report.evaluationProtocol
            func refuse(_ what: String, _ a: String, _ b: String) -> ReportError {
                ReportError("cannot combine \(first.source) and \(input.source): different \(what) (\(a) vs \(b)); "
                            + "compare only runs of one protocol on the same edits")
            }
            if p.editCount != p0.editCount { throw refuse("numbers of edits T", String(p0.editCount), String(p.editCount)) }
            if let a = p0.editSetDigest, let b = p.editSetDigest, a != b { throw refuse("edit sets", a, b) }
            if p.editSet != p0.editSet, p.editSetDigest == nil || p0.editSetDigest == nil {
                throw refuse("edit sets", p0.editSet, p.editSet)
            }
            if let m = input.report.model, let m0 = model0, m != m0 { throw refuse("models", m0, m) }
            checkpoints.formUnion(p.checkpoints)
            if labels[input.source] != nil, input.report.methods.count != 1 {
                throw ReportError("--label for \(input.source) is ambiguous: that report holds \(input.report.methods.count) methods")
            }
            for var method in input.report.methods {
                if let label = labels[input.source] { method.name = label }
                let run = input.report.environment.filter { ["date", "OPENBLAS_NUM_THREADS"].contains($0.0) }
                    .map { "\($0.0) \($0.1)" }
                method.notes = (["run: \(input.source)"] + run + (method.notes.map { [$0] } ?? [])).joined(separator: "; ")
                if let clash = methods.first(where: { $0.name == method.name }) {
                    throw ReportError("two runs are both called \(clash.name) (\(input.source) and an earlier one): "
                                      + "name one with --label \(input.source)=NAME")
                }
                methods.append(method)
            }
        }
        let digest = inputs.compactMap(\.report.evaluationProtocol.editSetDigest).first
        let evaluation = EvaluationProtocol(editCount: p0.editCount, editSet: p0.editSet, checkpoints: checkpoints.sorted(),
                                            afterEachEdit: inputs.contains { $0.report.evaluationProtocol.afterEachEdit },
                                            editSetDigest: digest)
        var environment = first.report.environment.filter { ["model", "cores"].contains($0.0) }
        environment.append(("runs", "\(inputs.count) separate runs (dates and OpenBLAS threads in the notes)"))
        return LifelongReport(title: title ?? "Lifelong editing: \(methods.map(\.name).joined(separator: ", ")), T = \(p0.editCount)",
                              evaluationProtocol: evaluation, environment: environment, methods: methods)
    }
}

extension LifelongReport {
    /// The model the run used, from the environment.
    var model: String? { environment.first { $0.0 == "model" }?.1 }

    /// Whether this report was made by `LifelongComparison.combine` (not by one run).
    public var isComparison: Bool { environment.contains { $0.0 == "runs" } }
}
