import ElderEditing
import ElderModel
import ElderTestSupport
import XCTest
@testable import ElderEval

/// The fluency check's base model (`BaseModelGenerator`, `TextGenerator`'s loop with its KV cache) against
/// greedy decoding written from the definition: a full forward pass over prompt + tokens so far at each step.
final class BaseModelGeneratorTests: XCTestCase {
    func testBaseModelGeneratorIsGreedyDecoding() throws {
        let dir = temporaryFolder()
        try TinyCheckpoint.make(seed: 11).writeGGUF(to: dir + "/m.gguf")
        let loaded = try LoadedModel.load(path: dir + "/m.gguf")
        let generator = BaseModelGenerator(model: loaded)
        for prompt in [[9, 8, 7], [1, 2, 3, 4, 5], [42]] {
            var reference: [Int] = []
            while reference.count < 12 {
                let next = argmax(loaded.model.forward(prompt + reference, lastOnly: true).scalars)
                if loaded.stopTokenIDs.contains(next) { break }
                reference.append(next)
            }
            XCTAssertEqual(try generator.greedy(prompt: prompt, maxTokens: 12), reference, "\(prompt)")
            XCTAssertEqual(try generator.greedy(prompt: prompt, maxTokens: 3), Array(reference.prefix(3)), "\(prompt)")
        }
    }
}
