import ElderEditing
import ElderEval
import ElderStable
import ElderTensor
import Foundation

/// `elder-bench deferral --keys N`: the memory of the deferral's keys and the time of one lookup with N
/// stored edits (two synthetic keys per edit, as Elder's default stores them, plus the reference keys),
/// for the layout before issue #4 (float32 keys held twice: `EditMemory`'s per-key arrays and the index's
/// contiguous copy, BLAS search) and the current one (16-bit keys held once, shared by the memory's
/// entries and the index), in one run. The keys are random: the lookup's cost does not depend on what they say.
public struct DeferralLookupTiming {
    let edits: Int
    let dimension: Int
    let queries: Int
    let referenceKeys: Int

    public init(edits: Int, dimension: Int, queries: Int, referenceKeys: Int) {
        self.edits = edits
        self.dimension = dimension
        self.queries = queries
        self.referenceKeys = referenceKeys
    }

    struct Layout {
        var name: String
        var keyCount = 0
        var indexBytes = 0
        var memoryCopyBytes = 0
        var residentGrowth = 0
        var buildSeconds = 0.0
        var times: [Double] = []
        var totalBytes: Int { indexBytes + memoryCopyBytes }
    }

    public func run(out: String) throws -> String {
        func vectors(seed: UInt64, _ n: Int) -> [[Float]] {
            var rng = SplitMix64(seed: seed)
            return (0..<n).map { _ in (0..<dimension).map { _ in rng.nextUnitFloat() * 2 - 1 } }
        }
        let reference = vectors(seed: 0xDEFE, referenceKeys)
        let queryVectors = vectors(seed: 0xC0DE, queries)
        // Each edit's two keys are drawn when needed so no third copy of all keys exists.
        func editKeys(_ e: Int) -> [[Float]] { vectors(seed: 0x5EED &+ UInt64(e), 2) }

        // Before: EditMemory held [[Float]] per edit, the index a contiguous float32 copy.
        var old = Layout(name: "before: float32, memory + index copy")
        var rss = ResourceUsage.residentBytes(), start = Date()
        var oldMemory: [[[Float]]] = []
        oldMemory.reserveCapacity(edits)
        var oldIndex = Float32KeyIndex(dimension: dimension)
        for k in reference { oldIndex.insert(k, owner: nil) }
        for e in 0..<edits {
            let keys = editKeys(e)
            oldMemory.append(keys)
            for k in keys { oldIndex.insert(k, owner: "edit-\(e)") }
        }
        old.buildSeconds = Date().timeIntervalSince(start)
        old.residentGrowth = ResourceUsage.residentBytes() - rss
        old.keyCount = oldIndex.count
        old.indexBytes = oldIndex.keyBytes
        old.memoryCopyBytes = oldMemory.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count * MemoryLayout<Float>.size } }

        // Now: the entries hold 16-bit keys; the index shares their arrays.
        var new = Layout(name: "now: 16-bit, one shared copy")
        rss = ResourceUsage.residentBytes(); start = Date()
        var entries: [EditMemory.Entry] = []
        entries.reserveCapacity(edits)
        var index = KeyIndex(dimension: dimension)
        index.insert(QuantizedKeys(reference, width: dimension), owner: nil)
        for e in 0..<edits {
            let entry = EditMemory.Entry(id: "edit-\(e)", allocation: Allocation(experts: [[0, 1]]), keys: editKeys(e),
                                         codes: [], rows: [], promptLengths: [])
            entries.append(entry)
            index.insert(entry.storedKeys, owner: entry.id)
        }
        new.buildSeconds = Date().timeIntervalSince(start)
        new.residentGrowth = ResourceUsage.residentBytes() - rss
        new.keyCount = index.count
        new.indexBytes = index.keyBytes
        new.memoryCopyBytes = 0  // the entries' arrays are the index's blocks

        // Lookups, alternating the layouts so both see the same machine load.
        let clock = ContinuousClock()
        func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15 }
        var sameOwner = 0
        var largestDifference: Float = 0
        for q in queryVectors {
            var a: (owner: String?, similarity: Float) = (nil, -1)
            var b: KeyMatch?
            old.times.append(ms(clock.measure { a = oldIndex.match(q) }))
            new.times.append(ms(clock.measure { b = index.match(q) }))
            if a.owner == b?.owner { sameOwner += 1 }
            largestDifference = max(largestDifference, abs(a.similarity - (b?.similarity ?? -1)))
        }
        withExtendedLifetime((oldMemory, entries)) {}

        let cores = ProcessInfo.processInfo.activeProcessorCount
        func mb(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
        func row(_ l: Layout) -> String {
            "| \(l.name) | \(l.keyCount) | \(mb(l.indexBytes)) | \(mb(l.memoryCopyBytes)) | \(mb(l.totalBytes)) | "
                + "\(mb(l.residentGrowth)) | \(String(format: "%.2f ms", medianOrZero(l.times))) | "
                + "\(String(format: "%.2f ms", percentile(l.times, 0.9))) | \(String(format: "%.1f s", l.buildSeconds)) |"
        }
        let memoryRatio = Double(new.totalBytes) / Double(old.totalBytes)
        let residentRatio = Double(new.residentGrowth) / Double(max(1, old.residentGrowth))
        let timeRatio = medianOrZero(new.times) / medianOrZero(old.times)
        let markdown = """
        # Deferral lookup with \(edits) stored edits (width \(dimension))

        | layout | keys | index keys | EditMemory copy | key memory | resident growth | lookup median | p90 | build |
        | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
        \(row(old))
        \(row(new))

        Now / before: key memory \(String(format: "%.3f", memoryRatio)), resident growth \(String(format: "%.3f", residentRatio)), \
        lookup median \(String(format: "%.3f", timeRatio)).
        Same best edit in \(sameOwner) of \(queries) lookups; largest similarity difference \(String(format: "%.2e", largestDifference)).

        Key memory counts the key values (and the per-key scale, norm and owner numbers), not array headers;
        resident growth is the process's resident set before and after building each layout (/proc/self/statm).
        One lookup = the similarity of the query to every key, then one pass over integer owner numbers.
        \(queries) random queries, the two layouts timed alternately. Machine: \(cores) cores, OpenBLAS threads
        \(BLAS.threadCount); shared machine, so compare as ratios.
        """
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let name = "deferral-lookup-\(edits)"
        try markdown.write(toFile: "\(out)/\(name).md", atomically: true, encoding: .utf8)
        func json(_ l: Layout) -> [String: Any] {
            ["keys": l.keyCount, "indexBytes": l.indexBytes, "memoryCopyBytes": l.memoryCopyBytes, "keyBytes": l.totalBytes,
             "residentGrowthBytes": l.residentGrowth, "lookupMedianMs": medianOrZero(l.times),
             "lookupP90Ms": percentile(l.times, 0.9), "buildSeconds": l.buildSeconds]
        }
        let report: [String: Any] = ["edits": edits, "dimension": dimension, "queries": queries, "before": json(old), "now": json(new),
                                     "keyMemoryRatio": memoryRatio, "residentGrowthRatio": residentRatio, "lookupMedianRatio": timeRatio,
                                     "sameBestEdit": sameOwner, "largestSimilarityDifference": Double(largestDifference),
                                     "cores": cores, "openblasThreads": BLAS.threadCount]
        try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted])
            .write(to: URL(fileURLWithPath: "\(out)/\(name).json"))
        return markdown
    }
}
