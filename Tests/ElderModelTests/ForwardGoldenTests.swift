import ElderTestSupport
import ElderModel
import ElderTensor
import Foundation
import XCTest

/// The real SmolLM2 forward pass against float32 logits from an independent numpy reference
/// (every tensor dequantized), and greedy generation.
final class ForwardGoldenTests: XCTestCase {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let top10_ids: [Int]
        let top10_logits: [Float]
        let logsumexp: Double
        let logit_l2: Double
    }

    func testLastPositionLogitsMatchReference() throws {
        let loaded = try RealModel.load()
        let cases = try RealModel.golden("logits-golden.json", as: [Case].self)
        XCTAssertEqual(cases.count, 12)
        var worstLogit: Float = 0, worstLSE = 0.0, worstL2 = 0.0
        for c in cases {
            XCTAssertEqual(loaded.tokenizer.encode(c.text), c.ids, "ids of \(c.text)")
            let logits = loaded.model.forward(c.ids, lastOnly: true).scalars
            let top = topK(logits, k: 10)
            XCTAssertEqual(top.map(\.index), c.top10_ids, "top-10 ids of \(c.text)")
            for (id, expected) in zip(c.top10_ids, c.top10_logits) {
                let d = abs(logits[id] - expected)
                worstLogit = max(worstLogit, d)
                XCTAssertEqual(logits[id], expected, accuracy: 1e-2, "logit \(id) of \(c.text)")
            }
            let m = Double(logits.max()!)
            let lse = m + log(logits.reduce(0.0) { $0 + exp(Double($1) - m) })
            let l2 = sqrt(logits.reduce(0.0) { $0 + Double($1) * Double($1) })
            worstLSE = max(worstLSE, abs(lse - c.logsumexp))
            worstL2 = max(worstL2, abs(l2 - c.logit_l2) / c.logit_l2)
            XCTAssertEqual(lse, c.logsumexp, accuracy: 1e-2, "logsumexp of \(c.text)")
            XCTAssertEqual(l2, c.logit_l2, accuracy: 1e-4 * c.logit_l2, "L2 norm of \(c.text)")
        }
        print("forward golden: max |logit diff| \(worstLogit), max |logsumexp diff| \(worstLSE), max relative L2 diff \(worstL2)")
    }

    /// The KV cache: decoding token by token gives the full forward pass's logits. On float32 weights both
    /// paths compute the same products (1e-3); decoding from quantized blocks rounds each activation row to
    /// int16 blocks, so there the logits agree within the golden files' tolerance (1e-2).
    func testCachedDecodingMatchesFullForward() throws {
        let loaded = try RealModel.load()
        let ids = loaded.tokenizer.encode("The Eiffel Tower is located in the city of")
        for (model, tolerance) in [(loaded.model.withoutPackedDecoding(), Float(1e-3)), (loaded.model, 1e-2)] {
            let full = model.forward(ids)
            let cache = KVCache(configuration: model.configuration)
            _ = model.forward(Array(ids.prefix(4)), cache: cache)
            var last = Tensor(zeros: [1])
            for id in ids.dropFirst(4) { last = model.forward([id], cache: cache) }
            let expected = Tensor(shape: [1, full.lastDimension], scalars: full.row(ids.count - 1))
            let difference = maxAbsDifference(last, expected)
            print("cached vs full forward (\(model.usesPackedDecoding ? "quantized blocks" : "float32")): max |logit diff| \(difference)")
            XCTAssertLessThan(difference, tolerance)
        }
    }

    func testGreedyGenerationSaysParis() throws {
        let loaded = try RealModel.load()
        let result = TextGenerator(loaded).generate("The capital of France is", options: GenerationOptions(maxTokens: 8))
        print("greedy: \(result.text.debugDescription)")
        XCTAssertTrue(result.text.hasPrefix(" Paris"), result.text)
    }
}
