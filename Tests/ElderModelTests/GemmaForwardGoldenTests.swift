import ElderTestSupport
import ElderModel
import ElderTensor
import Foundation
import XCTest

/// The real Gemma 3 270M (Q4_K_M) forward pass against a float32 numpy forward pass over the weights the `gguf`
/// package dequantizes (Tests/Fixtures/gemma3-270m/README.md): top-10 logits and greedy continuations.
final class GemmaForwardGoldenTests: XCTestCase {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let top10_ids: [Int]
        let top10_logits: [Float]
        let logsumexp: Double
        let logit_l2: Double
        let greedy_ids: [Int]
    }

    func testLastPositionLogitsAndGreedyContinuationsMatchReference() throws {
        let loaded = try RealGemma.load()
        let cases = try RealGemma.golden("logits-golden.json", as: [Case].self)
        XCTAssertGreaterThanOrEqual(cases.count, 10)
        var worstLogit: Float = 0, worstLSE = 0.0
        for c in cases {
            XCTAssertEqual(loaded.tokenizer.encode(c.text), c.ids, "ids of \(c.text)")
            let logits = loaded.model.forward(c.ids, lastOnly: true).scalars
            XCTAssertEqual(topK(logits, k: 10).map(\.index), c.top10_ids, "top-10 ids of \(c.text)")
            for (id, expected) in zip(c.top10_ids, c.top10_logits) {
                worstLogit = max(worstLogit, abs(logits[id] - expected))
                XCTAssertEqual(logits[id], expected, accuracy: 1e-2, "logit \(id) of \(c.text)")
            }
            let m = Double(logits.max()!)
            let lse = m + log(logits.reduce(0.0) { $0 + exp(Double($1) - m) })
            worstLSE = max(worstLSE, abs(lse - c.logsumexp))
            XCTAssertEqual(lse, c.logsumexp, accuracy: 1e-2, "logsumexp of \(c.text)")
            let l2 = sqrt(logits.reduce(0.0) { $0 + Double($1) * Double($1) })
            XCTAssertEqual(l2, c.logit_l2, accuracy: 1e-4 * c.logit_l2, "L2 norm of \(c.text)")
            // Greedy continuation through the KV cache and the quantized decode kernels.
            let generated = TextGenerator(loaded).generate(tokens: c.ids, options: GenerationOptions(maxTokens: c.greedy_ids.count))
            let expected = Array(c.greedy_ids.prefix { !loaded.stopTokenIDs.contains($0) })
            XCTAssertEqual(generated.tokenIDs, expected, "greedy continuation of \(c.text)")
        }
        print("gemma forward golden: max |logit diff| \(worstLogit), max |logsumexp diff| \(worstLSE)")
    }

    /// The KV cache on float32 products in both passes (the quantized decode kernels, whose int16 activations
    /// move logits by a few 1e-3, are checked against the reference by the greedy continuations above).
    func testCachedDecodingMatchesFullForward() throws {
        let loaded = try RealGemma.load()
        let model = loaded.model.withoutPackedDecoding()
        let ids = loaded.tokenizer.encode("The Eiffel Tower is located in the city of")
        let full = model.forward(ids)
        let cache = KVCache(configuration: loaded.configuration)
        _ = model.forward(Array(ids.prefix(4)), cache: cache)
        var last = Tensor(zeros: [1])
        for id in ids.dropFirst(4) { last = model.forward([id], cache: cache) }
        let expected = Tensor(shape: [1, full.lastDimension], scalars: full.row(ids.count - 1))
        XCTAssertLessThan(maxAbsDifference(last, expected), 2e-3)
    }
}
