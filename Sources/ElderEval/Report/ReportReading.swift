import Foundation

/// Why a lifelong report could not be read back or combined with others. `description` is one line.
public struct ReportError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension LifelongReport {
    /// The environment keys in the order reports write them; other keys follow, sorted.
    static let environmentOrder = ["model", "cores", "OPENBLAS_NUM_THREADS", "date"]

    /// Reads a report written by `json` — today's schema or the first one (no digest, totals, parameter
    /// count, peak memory, method or settings: those read as nil). `source` names the file in errors.
    public init(json text: String, source: String) throws(ReportError) {
        func fail(_ what: String) -> ReportError { ReportError("\(source): \(what) — is it a JSON report of `elder-bench lifelong`?") }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw fail("not a JSON object")
        }
        guard let title = object["title"] as? String, let proto = object["protocol"] as? [String: Any],
              let editCount = proto["editCount"] as? Int, let editSet = proto["editSet"] as? String,
              let methods = object["methods"] as? [[String: Any]] else {
            throw fail("title, protocol (editCount, editSet) or methods missing")
        }
        let evaluation = EvaluationProtocol(
            editCount: editCount, editSet: editSet, checkpoints: proto["checkpoints"] as? [Int] ?? [],
            afterEachEdit: proto["afterEachEdit"] as? Bool ?? false, editSetDigest: proto["editSetDigest"] as? String,
            trainingParaphrases: proto["trainingParaphrases"] as? Int)
        let env = (object["environment"] as? [String: Any] ?? [:]).mapValues { "\($0)" }
        let keys = Self.environmentOrder.filter { env[$0] != nil } + env.keys.filter { !Self.environmentOrder.contains($0) }.sorted()
        var results: [MethodResult] = []
        for (index, m) in methods.enumerated() {
            guard let name = m["name"] as? String else { throw fail("method \(index + 1) has no name") }
            var points: [MetricsSnapshot] = []
            for p in m["curve"] as? [[String: Any]] ?? [] {
                guard let s = Self.snapshot(p) else { throw fail("\(name): a curve point is malformed") }
                points.append(s)
            }
            // A report without a curve still has its final snapshot.
            if points.isEmpty, let f = m["final"] as? [String: Any] {
                guard let s = Self.snapshot(f) else { throw fail("\(name): the final snapshot is malformed") }
                points.append(s)
            }
            let immediate = (m["afterEachEdit"] as? [String: Any]).flatMap(Self.snapshot)
            let curve: LifelongCurve
            do { curve = try LifelongCurve(points: points, immediate: immediate) } catch {
                throw fail("\(name): \(error.description)")
            }
            var result = MethodResult(name: name, curve: curve, secondsPerEdit: Self.double(m["secondsPerEdit"]),
                                      notes: m["notes"] as? String)
            result.method = m["method"] as? String
            result.settings = m["settings"] as? [String: String]
            result.configuration = m["configuration"] as? [String: String]
            result.totalEditSeconds = Self.double(m["totalEditSeconds"])
            result.parameterCount = m["parameterCount"] as? Int
            result.peakResidentBytes = m["peakResidentBytes"] as? Int
            results.append(result)
        }
        self.init(title: title, evaluationProtocol: evaluation, environment: keys.map { ($0, env[$0]!) }, methods: results)
    }

    /// Reads the report at `path`.
    public init(contentsOf path: String) throws(ReportError) {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ReportError("\(path): cannot read the file — check the path")
        }
        try self.init(json: text, source: path)
    }

    static func double(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }

    static func snapshot(_ object: [String: Any]) -> MetricsSnapshot? {
        guard let edits = object["editsApplied"] as? Int else { return nil }
        func score(_ key: String) -> MetricScore? {
            guard let s = object[key] as? [String: Any], let tok = double(s["tokenAccuracy"]),
                  let em = double(s["exactMatch"]), let count = s["count"] as? Int else { return nil }
            return MetricScore(tokenAccuracy: tok, exactMatch: em, count: count)
        }
        var scores: [MetricScore] = []
        for metric in EditMetric.allCases {
            guard let s = score(metric.rawValue.lowercased()) else { return nil }
            scores.append(s)
        }
        var fluency: FluencyScore?
        if let f = object["fluency"] as? [String: Any], let prompts = f["prompts"] as? Int, let answered = f["answered"] as? Int,
           let agree = double(f["continuationAgreement"]), let repeated = double(f["repeatedTarget"]),
           let bigrams = double(f["repeatedBigramRate"]) {
            fluency = FluencyScore(prompts: prompts, answered: answered, continuationAgreement: agree,
                                   repeatedTarget: repeated, repeatedBigramRate: bigrams)
        }
        return MetricsSnapshot(editsApplied: edits, reliability: scores[0], generalization: scores[1], locality: scores[2],
                               crossTalk: score("crossTalk"), fluency: fluency)
    }
}
