import ElderEditing
import ElderTensor
import Foundation

/// `elder bench deferral --keys N`: how long one deferral lookup takes, and how much memory the keys take,
/// with N stored edits (two synthetic unit keys per edit, as Elder's default stores them, plus the reference keys).
/// The keys are random: the lookup's cost does not depend on what they say.
struct DeferralLookupTiming {
    let edits: Int
    let dimension: Int
    let queries: Int
    let referenceKeys: Int

    func run(out: String) throws -> String {
        var rng = SplitMix64(seed: 0xDEFE)
        func vector() -> [Float] { (0..<dimension).map { _ in rng.nextUnitFloat() * 2 - 1 } }
        let before = peakResidentBytes()
        let buildStart = Date()
        var index = KeyIndex(dimension: dimension)
        for _ in 0..<referenceKeys { index.insert(vector(), owner: nil) }
        for e in 0..<edits {
            index.insert(vector(), owner: "edit-\(e)")
            index.insert(vector(), owner: "edit-\(e)")
        }
        let buildSeconds = Date().timeIntervalSince(buildStart)
        let keyBytes = index.keys.count * MemoryLayout<Float>.size
        var times: [Double] = []
        var owners = 0
        let clock = ContinuousClock()
        for _ in 0..<queries {
            let q = vector()
            var m: KeyMatch?
            let t = clock.measure { m = index.match(q) }
            if m?.owner != nil { owners += 1 }
            times.append(Double(t.components.attoseconds) / 1e15 + Double(t.components.seconds) * 1e3)
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let markdown = """
        # Deferral lookup with \(edits) stored edits

        | edits | keys | width | key memory | peak RSS growth | lookup median | p90 | build |
        | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
        | \(edits) | \(index.count) | \(dimension) | \(String(format: "%.1f MB", Double(keyBytes) / 1e6)) | \(String(format: "%.1f MB", Double(peakResidentBytes() - before) / 1e6)) | \(String(format: "%.2f ms", median(times))) | \(String(format: "%.2f ms", percentile(times, 0.9))) | \(String(format: "%.1f s", buildSeconds)) |

        \(queries) lookups of random queries (every one matched an edit: \(owners == queries)); one lookup = the
        similarity of the query to every key (matrix-vector product over the contiguous float32 keys) and one pass
        over integer owner numbers for the best and second-best edit. Machine: \(cores) cores, OpenBLAS threads
        \(BLAS.threadCount); shared machine, so compare as ratios.
        """
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let name = "deferral-lookup-\(edits)"
        try markdown.write(toFile: "\(out)/\(name).md", atomically: true, encoding: .utf8)
        let json: [String: Any] = ["edits": edits, "keys": index.count, "dimension": dimension, "keyBytes": keyBytes,
                                   "peakResidentGrowthBytes": peakResidentBytes() - before,
                                   "lookupMedianMs": median(times), "lookupP90Ms": percentile(times, 0.9),
                                   "queries": queries, "cores": cores, "openblasThreads": BLAS.threadCount]
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .prettyPrinted])
            .write(to: URL(fileURLWithPath: "\(out)/\(name).json"))
        return markdown
    }
}
