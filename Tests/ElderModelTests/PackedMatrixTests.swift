import ElderModel
import ElderTensor
import ElderTestSupport
import Foundation
import XCTest

/// Products with matrices read in place from a GGUF file's blocks, against the same kernels run row by
/// row on one thread and against the float32 product of the dequantized matrix.
final class PackedMatrixTests: XCTestCase {
    /// A GGUF file holding one random matrix [rows, columns] per block format.
    func matrices(rows: Int, columns: Int, seed: UInt64) throws -> [PackedMatrix] {
        var rng = SeededRandom(seed)
        var w = GGUFWriter()
        for format in QuantizedFormat.allCases {
            let bytes = QuantizedKernelTests.randomBlocks(format, count: rows * columns / format.blockSize, rng: &rng)
            w.rawTensor("\(format)", dims: [UInt64(columns), UInt64(rows)], type: format.type.rawValue, bytes: Data(bytes))
        }
        let path = temporaryFolder() + "/m.gguf"
        try w.data().write(to: URL(fileURLWithPath: path))
        let file = try GGUFFile(path: path)
        return try QuantizedFormat.allCases.map { try XCTUnwrap(file.packedMatrix("\($0)")) }
    }

    func testFewRowProductsEqualTheKernelRowByRowAndBoundTheFloatError() throws {
        var rng = SeededRandom(31)
        for matrix in try matrices(rows: 600, columns: 768, seed: 30) {   // 460,800 weights: split over threads
            let dense = matrix.dequantized()
            for t in 1...PackedMatrix.rowLimit {
                let x = Tensor(shape: [t, 768], scalars: (0..<t * 768).map { _ in rng.normal() })
                let y = matrix.apply(x)
                XCTAssertEqual(y.shape, [t, 600])
                let reference = matmulNaive(x, dense, transposeB: true)
                let scale = reference.scalars.map(abs).max()!
                // Threads and fusing only change which thread computes a row: the same bits as one row's dot.
                XCTAssertEqual(y, PackedMatrix.apply([matrix, matrix], to: x)[1], "\(matrix.format)")
                XCTAssertEqual(y.scalars.map(\.bitPattern), Self.rowByRow(matrix, x).map(\.bitPattern), "\(matrix.format)")
                // Activations rounded to 16 bits (QuantizedKernelTests bounds each product exactly).
                XCTAssertLessThan(maxAbsDifference(y, reference), 1e-3 * scale, "\(matrix.format), \(t) rows")
            }
        }
    }

    /// Each output of `matrix` computed alone through the format's dot product (one thread).
    static func rowByRow(_ matrix: PackedMatrix, _ x: Tensor) -> [Float] {
        let k = matrix.columns, t = x.rowCount, a = matrix.format.activations
        var out = [Float](repeating: 0, count: t * matrix.rows)
        let blockBytes = matrix.columns / matrix.format.blockSize * matrix.format.blockBytes
        let raw = matrix.withBlocks { [UInt8]($0) }
        var quantized = [UInt8](repeating: 0, count: k / a.blockSize * a.blockBytes)
        for r in 0..<t {
            x.scalars.withUnsafeBufferPointer { xp in
                quantized.withUnsafeMutableBytes { a.quantize(xp.baseAddress! + r * k, $0.baseAddress!, count: k) }
            }
            for row in 0..<matrix.rows {
                out[r * matrix.rows + row] = raw.withUnsafeBytes { w in
                    quantized.withUnsafeBytes { matrix.format.dot(w.baseAddress! + row * blockBytes, $0.baseAddress!, Int64(k)) }
                }
            }
        }
        return out
    }

    func testDequantizedBlocksEqualTheLoadersValuesBitForBit() throws {
        let dir = temporaryFolder()
        var rng = SeededRandom(35)
        var w = GGUFWriter()
        for format in QuantizedFormat.allCases {
            let bytes = QuantizedKernelTests.randomBlocks(format, count: 40 * 256 / format.blockSize, rng: &rng)
            w.rawTensor("\(format)", dims: [256, 40], type: format.type.rawValue, bytes: Data(bytes))
        }
        try w.data().write(to: URL(fileURLWithPath: dir + "/d.gguf"))
        let file = try GGUFFile(path: dir + "/d.gguf")
        for format in QuantizedFormat.allCases {
            let packed = try XCTUnwrap(file.packedMatrix("\(format)"))
            XCTAssertEqual(packed.dequantized().scalars.map(\.bitPattern), try file.tensor("\(format)").scalars.map(\.bitPattern), "\(format)")
        }
        XCTAssertNil(try file.packedMatrix("missing"))
    }

    func testDecodingMatchesTheFloatReferenceOnTheRealModel() throws {
        let loaded = try RealModel.load()
        XCTAssertTrue(loaded.model.usesPackedDecoding)
        let reference = loaded.model.withoutPackedDecoding()
        XCTAssertFalse(reference.usesPackedDecoding)
        // Greedy continuations of the golden prompts: the quantized kernels pick the float reference's tokens.
        struct Case: Decodable { let text: String }
        let cases = try RealModel.golden("logits-golden.json", as: [Case].self)
        var worst: Float = 0
        for c in cases {
            let ids = loaded.tokenizer.encode(c.text)
            let (quantized, logits) = Self.greedy(loaded.model, ids, count: 24)
            let (float, referenceLogits) = Self.greedy(reference, ids, count: 24)
            XCTAssertEqual(quantized, float, "greedy continuation of \(c.text.debugDescription)")
            worst = max(worst, zip(logits, referenceLogits).map { maxAbsDifference($0, $1) }.max() ?? 0)
        }
        print("quantized vs float32 decoding: max |logit diff| \(worst) over \(cases.count) golden prompts × 24 tokens")
    }

    /// A model whose products of many rows dequantize slab by slab keeps no float32 matrix, gives the logits
    /// of the model that keeps them, and keeps exactly the matrices code reads as float32 (training's).
    func testTransientFloatWeightsKeepNothingAndGiveTheSameLogits() throws {
        let path = try RealModel.requirePath()
        let transient = try LoadedModel.load(path: path, floatWeights: .transient)
        let kept = try LoadedModel.load(path: path, floatWeights: .keptAfterFirstUse)
        let ids = transient.tokenizer.encode("The history of the city begins with a small settlement on the river")
        XCTAssertGreaterThan(ids.count, PackedMatrix.rowLimit)   // the many-row products, not the decode kernels
        let a = transient.model.forward(ids), b = kept.model.forward(ids)
        XCTAssertEqual(transient.model.floatWeightBytes, 0)
        XCTAssertGreaterThan(kept.model.floatWeightBytes, 400 << 20)
        // The same values multiplied by sgemm a slab at a time: at most the sum order differs.
        XCTAssertLessThan(maxAbsDifference(a, b), 1e-4 * b.scalars.map(abs).max()!)
        XCTAssertEqual(transient.model.embed(ids), kept.model.embed(ids))
        let c = transient.configuration
        _ = transient.model.blocks[c.layerCount - 1].mlp.down
        XCTAssertEqual(transient.model.floatWeightBytes, c.hiddenSize * c.intermediateSize * 4)
    }

    /// A decoding step of up to 16 sequences reads the blocks whatever float32 copies the process holds
    /// (`BlockProductRule.decodingStep`): every row of a batch gets the bits of its sequence decoded alone,
    /// in a model without float32 copies (which the batch does not make) and in one whose copies exist.
    func testABatchOfUpToSixteenDecodesGivesEachRowTheBitsOfItsLoneDecode() throws {
        let path = try RealModel.requirePath()
        let transient = try LoadedModel.load(path: path, floatWeights: .transient)
        let kept = try LoadedModel.load(path: path, floatWeights: .keptAfterFirstUse)
        let long = kept.tokenizer.encode("The history of the city begins with a small settlement on the river")
        XCTAssertGreaterThan(long.count, PackedMatrix.rowLimit)
        _ = kept.model.forward(long)                        // sgemm on float32: the lab's copies are made now
        XCTAssertGreaterThan(kept.model.floatWeightBytes, 400 << 20)
        for loaded in [transient, kept] {
            let floatBytes = loaded.model.floatWeightBytes
            for rows in [PackedMatrix.decodingStepRowLimit, 7] {
                try Self.assertBatchRowsEqualLoneDecodes(loaded, rows: rows)
            }
            XCTAssertEqual(loaded.model.floatWeightBytes, floatBytes, "the batches made float32 matrices")
        }
        XCTAssertEqual(transient.model.floatWeightBytes, 0)
    }

    /// Decodes the next token of `rows` prompts as one batch and each alone (from equal caches) and compares the bits.
    static func assertBatchRowsEqualLoneDecodes(_ loaded: LoadedModel, rows: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let model = loaded.model
        var batchCaches: [KVCache] = [], aloneCaches: [KVCache] = [], next: [Int] = []
        for i in 0..<rows {
            let ids = loaded.tokenizer.encode(["The capital of", "My favourite food is", "In \(1900 + 7 * i) the"][i % 3])
            for alone in [false, true] {
                let cache = KVCache(configuration: model.configuration)
                let logits = model.forward(ids, cache: cache, lastOnly: true)
                if alone { aloneCaches.append(cache) } else { batchCaches.append(cache); next.append(topK(logits.scalars, k: 1)[0].index) }
            }
        }
        let batch = model.decode(next, caches: batchCaches)
        XCTAssertEqual(batch.shape, [rows, model.configuration.vocabularySize], file: file, line: line)
        for (b, token) in next.enumerated() {
            let alone = model.decode([token], caches: [aloneCaches[b]])
            XCTAssertEqual(batch.row(b).map(\.bitPattern), alone.scalars.map(\.bitPattern), "\(rows) rows: sequence \(b)", file: file, line: line)
        }
    }

    /// `count` greedy tokens after `ids` (prompt in one pass, then one token at a time) and each step's logits.
    static func greedy(_ model: LlamaModel, _ ids: [Int], count: Int) -> ([Int], [Tensor]) {
        let cache = KVCache(configuration: model.configuration)
        var logits = model.forward(ids, cache: cache, lastOnly: true)
        var tokens: [Int] = [], all: [Tensor] = [logits]
        for _ in 0..<count {
            tokens.append(topK(logits.scalars, k: 1)[0].index)
            logits = model.forward([tokens.last!], cache: cache)
            all.append(logits)
        }
        return (tokens, all)
    }
}
