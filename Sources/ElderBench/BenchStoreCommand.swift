import ArgumentParser
import ElderEval
import ElderLab
import ElderStore
import Foundation

extension ElderBenchCommand {
    /// `elder-bench store`: commit time, bytes per edit after `git gc`, and rebuild time of the newest,
    /// the oldest and the farthest-from-keyframe version, for histories of several lengths.
    struct Store: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "store",
            abstract: "Benchmark the knowledge repo: commit time, bytes per edit, rebuild time.",
            discussion: """
            Example: elder-bench store --edits 100,1000,10000 --loras 4
            Example (Elder's default shape: 128 LoRAs, routers untouched, the keyframe layouts side by side):
              elder-bench store --edits 1000 --loras 128 --still-routers --fixed-keyframes --keyframe 32 --keyframe-sums one-pack --out reports/before
              elder-bench store --edits 1000 --loras 128 --still-routers --out reports/default
            """)

        @Option(help: "History lengths, comma-separated.") var edits = "100,1000,10000"
        @Option(help: "Keyframe interval K: the longest distance between keyframes (with --fixed-keyframes, every K commits).")
        var keyframe = StoreOptions().keyframeInterval
        @Option(name: .customLong("replay-ratio"), help: "Adaptive keyframes: one when the delta bytes since the last reach this × its sum bytes.")
        var replayRatio = StoreOptions().keyframeReplayRatio ?? 1
        @Flag(name: .customLong("fixed-keyframes"), help: "A keyframe every K commits (repos made before adaptive keyframes).")
        var fixedKeyframes = false
        @Option(name: .customLong("step-scale"), help: "Quantization step as a multiple of the update's rms.") var stepScale = 1.75
        @Option(name: .customLong("update-scale"), help: "Std of the synthetic gaussian steps.") var updateScale = 1e-3
        @Option(help: "Rebuilds per measurement (median reported).") var repeats = 5
        @Option(help: "Folder for the report.") var out = "reports"
        @Option(name: .customLong("work-dir"), help: "Where the repos are made (removed afterwards).") var workDir = NSTemporaryDirectory()
        @Option(name: .customLong("keyframe-sums"), help: "Keyframe sum layout: per-group (format 3, the default) or one-pack (formats 1 and 2).")
        var keyframeSums = KeyframeSumLayout.perGroup.rawValue
        @Flag(name: .customLong("still-routers"), help: "Edits leave the routers alone (as Elder's default method does); default: every edit moves all routers.")
        var stillRouters = false
        @OptionGroup var shape: SyntheticShapeOptions

        func validate() throws {
            guard replayRatio > 0, replayRatio <= 1_000 else { throw ValidationError("--replay-ratio must be in (0, 1000]") }
            guard KeyframeSumLayout(rawValue: keyframeSums) != nil else {
                throw ValidationError("--keyframe-sums must be per-group or one-pack, got \(keyframeSums)")
            }
        }

        func run() throws {
            let lengths = edits.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !lengths.isEmpty, lengths.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--edits needs positive numbers") }
            let sizes = SyntheticAdapterShape(layers: shape.layers, loras: shape.loras, rank: shape.rank,
                                              inputDim: shape.inputDim, outputDim: shape.outputDim, topK: shape.topK)
            var rows: [StoreBenchRow] = []
            for length in lengths {
                let row = try measure(length: length, sizes: sizes)
                rows.append(row)
                FileHandle.standardError.write(Data("history \(length): \(row.summary)\n".utf8))
            }
            let report = StoreBenchReport(rows: rows, sizes: sizes, keyframe: keyframe, stepScale: stepScale,
                                          updateScale: updateScale, replayRatio: fixedKeyframes ? nil : replayRatio,
                                          keyframeSums: keyframeSums, movesRouters: !stillRouters)
            let markdown = report.markdown()
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try markdown.write(toFile: out + "/bench-store.md", atomically: true, encoding: .utf8)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: out + "/bench-store.json"))
            print(markdown)
        }

        private func measure(length: Int, sizes: SyntheticAdapterShape) throws -> StoreBenchRow {
            let dir = workDir + "/elder-bench-store-\(length)-\(UUID().uuidString.prefix(6))"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var editor = SyntheticEditor(shape: sizes, seed: 42, updateScale: updateScale, movesRouters: !stillRouters)
            let options = StoreOptions(keyframeInterval: keyframe, keyframeReplayRatio: fixedKeyframes ? nil : replayRatio,
                                       compaction: CompactionOptions(stepScale: stepScale),
                                       keyframeSums: KeyframeSumLayout(rawValue: keyframeSums))
            let (store, _) = try SyntheticHistoryWriter.createRepository(at: dir, options: options, editor: &editor)
            let baseBytes = try gc(dir)
            let writer = SyntheticHistoryWriter(store: store, editor: editor)
            var commitTimes: [Double] = [], compactTimes: [Double] = [], errors: [Double] = [], blobBytes: [Double] = []
            var keyframeBytes = 0, keyframes = 1, lastKeyframe = 0
            var farthest = (depth: 0, distance: 0)
            for n in 1...length {
                let result = try writer.commitEdit(number: n)
                commitTimes.append(writer.lastCommitSeconds)
                compactTimes.append(writer.lastCompactSeconds)
                errors.append(writer.lastRelativeError)
                if result.isKeyframe {
                    keyframeBytes += result.tensorBytes
                    keyframes += 1
                    lastKeyframe = n
                } else {
                    blobBytes.append(Double(result.tensorBytes))
                }
                if n - lastKeyframe >= farthest.distance { farthest = (n, n - lastKeyframe) }
            }
            let looseBytes = directoryBytes(dir + "/objects")
            let gcStart = Date()
            let packedBytes = try gc(dir)
            let gcSeconds = Date().timeIntervalSince(gcStart)
            // Rebuilds from a freshly opened store (nothing cached): newest, oldest edit, farthest from a keyframe.
            // Revisions are resolved before timing: `main~9999` alone walks 9,999 commits (~0.1 s), as in git.
            let ids = try KnowledgeStore.open(at: dir).repository
            let newestID = try ids.resolveCommit("main")
            let newest = try rebuildSeconds(dir, newestID)
            let oldest = try rebuildSeconds(dir, try ids.resolveCommit("main~\(length - 1)"))
            let far = try rebuildSeconds(dir, try ids.resolveCommit("main~\(length - farthest.depth)"))
            let warm = try warmRebuildSeconds(dir, newestID)
            return StoreBenchRow(edits: length, commitMedianMs: medianOrZero(commitTimes) * 1e3, commitP90Ms: percentile(commitTimes, 0.9) * 1e3,
                                 compactMedianMs: medianOrZero(compactTimes) * 1e3,
                                 tensorBlobBytesPerEdit: medianOrZero(blobBytes),
                                 looseBytesPerEdit: Double(looseBytes) / Double(length),
                                 packedBytesPerEdit: Double(packedBytes - baseBytes) / Double(length),
                                 keyframeCommitBytesPerEdit: Double(keyframeBytes) / Double(length),
                                 packedBytesTotal: packedBytes, gcSeconds: gcSeconds,
                                 rebuildNewestMs: newest.wall * 1e3, rebuildOldestMs: oldest.wall * 1e3,
                                 rebuildFarthestMs: far.wall * 1e3, farthestDepth: farthest.depth, farthestDistance: farthest.distance,
                                 keyframes: keyframes,
                                 rebuildNewestCPUMs: newest.cpu * 1e3, rebuildFarthestCPUMs: far.cpu * 1e3,
                                 rebuildWarmMs: warm * 1e3,
                                 relativeErrorMedian: medianOrZero(errors))
        }

        /// Runs `git gc` and returns the bytes under objects/ afterwards.
        private func gc(_ dir: String) throws -> Int {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            process.arguments = ["-C", dir, "gc", "--quiet"]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw ValidationError("git gc failed in \(dir)") }
            return directoryBytes(dir + "/objects")
        }

        private func directoryBytes(_ path: String) -> Int {
            guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
            var total = 0
            while let item = walker.nextObject() as? String {
                let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + item)
                if attributes?[.type] as? FileAttributeType == .typeRegular { total += (attributes?[.size] as? Int) ?? 0 }
            }
            return total
        }

        /// Median wall and CPU seconds of rebuilding `revision` in a freshly opened store.
        private func rebuildSeconds(_ dir: String, _ revision: ObjectID) throws -> (wall: Double, cpu: Double) {
            var times: [Double] = [], cpu: [Double] = []
            for _ in 0..<max(repeats, 1) {
                let store = try KnowledgeStore.open(at: dir)
                let start = DispatchTime.now().uptimeNanoseconds
                let cpuStart = threadCPUSeconds()
                _ = try store.state(of: revision)
                cpu.append(threadCPUSeconds() - cpuStart)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return (medianOrZero(times), medianOrZero(cpu))
        }

        private func threadCPUSeconds() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
        }

        private func warmRebuildSeconds(_ dir: String, _ revision: ObjectID) throws -> Double {
            let store = try KnowledgeStore.open(at: dir)
            _ = try store.state(of: revision)
            var times: [Double] = []
            for _ in 0..<max(repeats, 1) {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try store.state(of: revision)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return medianOrZero(times)
        }
    }
}


struct StoreBenchRow: Codable {
    var edits: Int
    var commitMedianMs, commitP90Ms, compactMedianMs: Double
    var tensorBlobBytesPerEdit, looseBytesPerEdit, packedBytesPerEdit: Double
    /// New tensor bytes of the keyframe commits (their delta and the sum packs git did not have), spread over all edits.
    var keyframeCommitBytesPerEdit: Double
    var packedBytesTotal: Int
    var gcSeconds: Double
    var rebuildNewestMs, rebuildOldestMs, rebuildFarthestMs: Double
    var farthestDepth: Int
    /// Commits between the farthest version and its keyframe; keyframes in the history (the root's included).
    var farthestDistance, keyframes: Int
    var rebuildNewestCPUMs, rebuildFarthestCPUMs: Double
    var rebuildWarmMs: Double
    var relativeErrorMedian: Double

    var summary: String {
        String(format: "commit %.1f ms, %.0f B/edit packed, rebuild newest %.1f ms oldest %.1f ms farthest %.1f ms",
               commitMedianMs, packedBytesPerEdit, rebuildNewestMs, rebuildOldestMs, rebuildFarthestMs)
    }
}

struct StoreBenchReport: Codable {
    var rows: [StoreBenchRow]
    var layers, loras, rank, inputDim, outputDim, topK, valuesPerEdit: Int
    var keyframe: Int
    var replayRatio: Double?
    var keyframeSums: String
    var movesRouters: Bool
    var stepScale, updateScale: Double
    var cores: Int
    var openBLASThreads: String
    var date: String

    init(rows: [StoreBenchRow], sizes: SyntheticAdapterShape, keyframe: Int, stepScale: Double, updateScale: Double,
         replayRatio: Double?, keyframeSums: String, movesRouters: Bool) {
        self.rows = rows
        layers = sizes.layers; loras = sizes.loras; rank = sizes.rank
        inputDim = sizes.inputDim; outputDim = sizes.outputDim; topK = sizes.topK
        valuesPerEdit = movesRouters ? sizes.valuesPerEdit : sizes.loraValuesPerEdit
        self.keyframe = keyframe
        self.replayRatio = replayRatio
        self.keyframeSums = keyframeSums
        self.movesRouters = movesRouters
        self.stepScale = stepScale
        self.updateScale = updateScale
        cores = ProcessInfo.processInfo.activeProcessorCount
        openBLASThreads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset (not used by the store)"
        date = ISO8601DateFormatter().string(from: Date())
    }

    func markdown() -> String {
        var lines = [
            "# elder-bench store", "",
            "Synthetic edits: \(layers) layers × \(loras) LoRAs of rank \(rank) on \(inputDim)→\(outputDim), k = \(topK) LoRAs per layer "
                + "per edit\(movesRouters ? " plus all routers" : " (routers untouched)") = \(valuesPerEdit) changed values per edit; "
                + "gaussian steps σ = \(updateScale); quantization step = \(stepScale) × rms(update); "
                + (replayRatio.map { "adaptive keyframes (replay ratio \($0), at most \(keyframe) commits apart)" } ?? "a keyframe every \(keyframe) commits")
                + ", sums \(keyframeSums). "
                + "Cores: \(cores); OpenBLAS threads: \(openBLASThreads); \(date). Times are medians.", "",
            "| edits | commit ms (p90) | compact ms | tensor blobs B/edit | keyframes | keyframes B/edit | loose B/edit | after gc B/edit | rebuild newest ms (CPU) | oldest ms | farthest from keyframe ms (CPU) | cached ms | remainder |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in rows {
            lines.append(String(format: "| %d | %.1f (%.1f) | %.1f | %.0f | %d | %.0f | %.0f | %.0f | %.1f (%.1f) | %.1f | %.1f (%.1f) at depth %d (%d after its keyframe) | %.3f | %.3f |",
                                r.edits, r.commitMedianMs, r.commitP90Ms, r.compactMedianMs, r.tensorBlobBytesPerEdit, r.keyframes, r.keyframeCommitBytesPerEdit,
                                r.looseBytesPerEdit, r.packedBytesPerEdit, r.rebuildNewestMs, r.rebuildNewestCPUMs,
                                r.rebuildOldestMs, r.rebuildFarthestMs, r.rebuildFarthestCPUMs, r.farthestDepth, r.farthestDistance,
                                r.rebuildWarmMs, r.relativeErrorMedian))
        }
        if let first = rows.first, let last = rows.last, rows.count > 1 {
            lines.append("")
            lines.append(String(format: "Rebuild time ratio, %d vs %d edits: newest %.2f, oldest %.2f, farthest from keyframe %.2f.",
                                last.edits, first.edits, last.rebuildNewestMs / first.rebuildNewestMs,
                                last.rebuildOldestMs / first.rebuildOldestMs, last.rebuildFarthestMs / first.rebuildFarthestMs))
            lines.append(String(format: "CPU time ratio (insensitive to other load on the machine): newest %.2f, farthest from keyframe %.2f.",
                                last.rebuildNewestCPUMs / first.rebuildNewestCPUMs,
                                last.rebuildFarthestCPUMs / first.rebuildFarthestCPUMs))
        }
        lines.append("")
        lines.append("Rebuilds open a fresh store (nothing cached) and are given commit ids; resolving a revspec such as "
                     + "`main~9999` walks that many commits first (as `git rev-parse` does).")
        lines.append("Bytes after gc exclude the initial state (the root commit's full adapter, written once per repo). "
                     + "Remainder = rms(part of the update not yet committed, carried into the next edit) / rms(update).")
        return lines.joined(separator: "\n") + "\n"
    }
}
