import ElderEditing
import ElderModel
import ElderRecords
import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

/// Seeded random-mutation fuzzing of everything that decodes bytes someone else wrote: tensor packs, codebooks,
/// JSON Lines edit files, GGUF files and text for the tokenizer. Each target mutates the committed corpus
/// (Tests/Fixtures/fuzz/<target>/) for a fixed number of executions; every input must be decoded or refused
/// with an error — a crash (trap, abort) ends the test process and fails the run.
///
/// `testFuzzedDecodersStayWithinTheirLimits` runs the targets in a child process (this test binary again,
/// with ELDER_FUZZ_CHILD set) and reads the child's peak resident memory from the kernel (through GNU time, see MeasuredRun): an allocation
/// sized by a forged field instead of a limit would show there. docs/TRUST.md has the numbers.
final class DecoderFuzzTests: XCTestCase {
    /// Executions per target (ELDER_FUZZ_RUNS multiplies them, for a longer run by hand).
    static let runs: [String: Int] = ["pack": 20_000, "codebook": 5_000, "jsonl": 20_000, "gguf": 2_000, "tokenizer": 5_000]
    static let ceiling = 150 << 20
    static let corpusFolder = "Tests/Fixtures/fuzz"

    static var isChild: Bool { ProcessInfo.processInfo.environment["ELDER_FUZZ_CHILD"] != nil }
    static var scale: Int { Int(ProcessInfo.processInfo.environment["ELDER_FUZZ_RUNS"] ?? "") ?? 1 }

    func testFuzzedDecodersStayWithinTheirLimits() throws {
        guard !Self.isChild else { return }
        let process = try XCTUnwrap(ProcessInfo.processInfo.arguments.first)
        var summary: [String] = []
        for target in Self.runs.keys.sorted() {
            let measured = try MeasuredRun.run(["ElderWorkspaceTests.DecoderFuzzTests/test_" + target],
                                               in: FileManager.default.currentDirectoryPath,
                                               environment: ["ELDER_FUZZ_CHILD": "1"], executable: process)
            let child = (status: measured.run.status, output: measured.run.stdout + measured.run.stderr, peakRSS: measured.peakRSS)
            XCTAssertEqual(child.status, 0, "\(target): \(child.output.suffix(3000))")
            XCTAssertTrue(child.output.contains("Executed 1 test, with 0 failures"), "\(target): \(child.output.suffix(2000))")
            XCTAssertLessThanOrEqual(child.peakRSS, Self.ceiling, "\(target) peaked at \(child.peakRSS >> 20) MB")
            let line = child.output.split(separator: "\n").first { $0.hasPrefix("fuzz ") } ?? "fuzz \(target): no summary"
            summary.append("\(line), peak RSS \(child.peakRSS >> 20) MB")
        }
        print(summary.joined(separator: "\n"))
    }

    // MARK: targets (each runs only in the child)

    func test_pack() throws {
        let zstd = ZstdContext()
        try fuzz("pack") { bytes in
            var budget = StateBudget(limits: ReadLimits(tensorValues: 1 << 20, stateValues: 1 << 20), schema: nil)
            let header = try TensorCodec.header(bytes, what: "fuzz")
            try budget.admit(header.tensors, what: "fuzz")
            _ = try TensorCodec.decode(bytes, header: header, what: "fuzz", zstd: zstd)
        }
    }

    func test_codebook() throws {
        let bounds = MemoryBounds(width: 3, layers: 2, experts: 4, topK: 2, vocabulary: 300, contextLength: 64)
        var rng = Mutator(seed: 99)
        try fuzz("codebook") { bytes in
            // The corpus holds every file of a codebook; the mutated one replaces one of them (or a name).
            guard let files = try? JSONDecoder().decode([String: [UInt8]].self, from: Data(Self.seedText("codebook"))) else { return }
            var mutated = files
            let names = files.keys.sorted()
            let pick = names[rng.below(names.count)]
            if rng.below(10) == 0 { mutated[pick] = nil } else { mutated[pick] = bytes }
            _ = try MemoryCodec.decode(mutated, bounds: bounds)
        } seedsOverride: {
            // The fuzzed bytes are the files themselves.
            guard let files = try? JSONDecoder().decode([String: [UInt8]].self, from: Data(Self.seedText("codebook"))) else { return [] }
            return files.keys.sorted().map { files[$0]! }
        }
    }

    func test_jsonl() throws {
        try fuzz("jsonl") { bytes in
            // Read as an edit file and as a probe file: refused when neither reads it.
            let text = String(decoding: bytes, as: UTF8.self)
            let reader = EditFileReader(text: text)
            let edits = Result { while try reader.nextRecord() != nil {} }
            let probes = Result { _ = try ProbeFile.read(text: text) }
            if case let .failure(error) = edits, case .failure = probes { throw error }
        }
    }

    func test_gguf() throws {
        let path = temporaryFolder() + "/fuzz.gguf"
        try fuzz("gguf") { bytes in
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let gguf = try GGUFFile(path: path)
            _ = try? LlamaConfiguration(gguf: gguf)
            _ = try? BPETokenizer(gguf: gguf)
            for info in gguf.tensors.prefix(3) { _ = try? gguf.tensor(info.name) }
        }
    }

    func test_tokenizer() throws {
        let tokenizer = try LoadedModel.loadTokenizer(path: try Self.tinyModel())
        var rng = Mutator(seed: 7)
        try fuzz("tokenizer") { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            let ids = tokenizer.encode(text, parseSpecial: rng.below(2) == 0)
            guard ids.allSatisfy({ (0..<tokenizer.vocabularySize).contains($0) }) else {
                throw NSError(domain: "fuzz", code: 1, userInfo: [NSLocalizedDescriptionKey: "a token id out of the vocabulary"])
            }
            _ = tokenizer.decode(ids)
        }
    }

    /// Writes the seed corpus (run once by hand with ELDER_FUZZ_WRITE_CORPUS=1; the files are committed).
    func testWriteCorpus() throws {
        guard ProcessInfo.processInfo.environment["ELDER_FUZZ_WRITE_CORPUS"] != nil else { return }
        let root = try RealModel.packageFile(Self.corpusFolder).path
        func write(_ target: String, _ name: String, _ bytes: [UInt8]) throws {
            try FileManager.default.createDirectory(atPath: root + "/" + target, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + target + "/" + name))
        }
        let zstd = ZstdContext()
        for (width, units) in [(0, [Int32](repeating: 0, count: 6)), (2, [0, 1, -1, 1, 0, 0]), (4, [0, 5, -7, 3, 1, 2]),
                               (8, [100, -90, 3, 0, 7, 1]), (16, [30_000, -9, 3, 0, 7, 1]), (32, [1 << 23, -(1 << 22), 3, 0, 7, 1])] {
            let pack = try TensorCodec.encode(["a.A": GridTensor(shape: [2, 3], units: units.map { $0 * 4 }),
                                               "b": GridTensor(shape: [3], units: [1, 2, 3])], zstd: zstd)
            try write("pack", "width-\(width).bin", pack)
        }
        var memory = EditMemory()
        memory.centre = [1, 2, 3]
        memory.backgroundKeys = [[0.1, 0.2, 0.3]]
        memory.entries = try JSONDecoder().decode([EditMemory.Entry].self, from: Data("""
            [{"id":"e1","allocation":{"experts":[[0,1],[2,3]]},"keys":[[0.5,0.25,0.125],[1,2,3]],"codes":[],"rows":[[1,2,3]],"promptLengths":[2]},
             {"id":"e2","allocation":{"experts":[[1,2],[0,3]]},"keys":[[3,2,1]],"codes":[],"rows":[[4,5]],"promptLengths":[1]}]
            """.utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try write("codebook", "memory.json", Array(try encoder.encode(try MemoryCodec.encode(memory))))
        try write("jsonl", "edits.jsonl", Array("""
            {"id": "e1", "prompt": "The capital of Zorbia is", "target": " Quell", "paraphrases": ["Zorbia's capital is"]}
            {"prompt": "The CEO of Acme is", "target": " Jane Doe", "message": "New CEO"}

            {"prompt": "The river of Zorbia is", "target": " Vell", "paraphrases": [], "probes": ["The sea of Zorbia is"]}
            """.utf8))
        try write("jsonl", "probes.jsonl", Array("""
            {"prompt": "The capital of France is", "expected": " Paris"}
            {"prompt": "The colour of the sky is", "expected": "", "datasetAnswer": " blue"}
            """.utf8))
        try write("gguf", "tiny-1-layer.gguf", Array(try Data(contentsOf: URL(fileURLWithPath: try Self.tinyModel()))))
        for (name, text) in [("english", "The capital of Zorbia is Quell, isn't it? I'm sure they'll say so."),
                             ("digits", "In 2026 the price was $12.50 (up 3%) — ９９ units."),
                             ("unicode", "Zürich, 東京, Αθήνα, emoji 🙂🙃 and a combining é."),
                             ("spaces", "  two  spaces\t\ttabs\n\nnewlines   trailing   "),
                             ("specials", "<|im_start|>user\nHello<|im_end|>"),
                             ("run", String(repeating: "abcdefghij", count: 40))] {
            try write("tokenizer", name + ".txt", Array(text.utf8))
        }
    }

    // MARK: harness

    /// Runs `body` on `runs[target]` mutants of the corpus; errors are the expected outcome for most of them.
    func fuzz(_ target: String, _ body: ([UInt8]) throws -> Void, seedsOverride: (() -> [[UInt8]])? = nil) throws {
        guard Self.isChild else { throw XCTSkip("runs in the child process of testFuzzedDecodersStayWithinTheirLimits") }
        let seeds = try seedsOverride?() ?? Self.seeds(target)
        XCTAssertFalse(seeds.isEmpty, "no corpus for \(target)")
        var mutator = Mutator(seed: 0xE1DE_F022 ^ UInt64(target.utf8.reduce(0) { $0 &* 31 &+ Int($1) } & 0xffff))
        let runs = (Self.runs[target] ?? 1_000) * Self.scale
        var refused = 0
        let start = Date()
        for i in 0..<runs {
            let seed = seeds[i % seeds.count]
            let input = i < seeds.count ? seed : mutator.mutate(seed, other: seeds[mutator.below(seeds.count)])
            do { try body(input) } catch { refused += 1 }
        }
        print("fuzz \(target): \(runs) executions, \(refused) refused, 0 crashes, \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }

    static func seeds(_ target: String) throws -> [[UInt8]] {
        let folder = try RealModel.packageFile(corpusFolder + "/" + target).path
        return try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map {
            Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0)))
        }
    }

    static func seedText(_ target: String) throws -> [UInt8] { try seeds(target).first ?? [] }

    /// The tiny model the tokenizer target reads its vocabulary from (written once per process).
    static func tinyModel() throws -> String {
        let path = temporaryFolder("fuzz-model") + "/tiny.gguf"
        try TinyCheckpoint.make(seed: 7, layers: 1).writeGGUF(to: path)
        return path
    }
}

