import ElderTestSupport
import ElderModel
import ElderTensor
import Foundation
import XCTest

/// KV cache, block hooks, samplers, stop strings, chat format and model names on tiny models.
final class GenerationTests: XCTestCase {
    func tinyLoaded(seed: UInt64 = 11) throws -> LoadedModel {
        let dir = temporaryFolder()
        try TinyCheckpoint.make(seed: seed).writeGGUF(to: dir + "/m.gguf")
        return try LoadedModel.load(path: dir + "/m.gguf")
    }

    func testCachedForwardMatchesFullForward() throws {
        let m = try tinyLoaded().model
        let ids = [9, 8, 7, 6, 5, 4, 3]
        let full = m.forward(ids)
        let cache = KVCache(configuration: m.configuration)
        var rows: [Float] = m.forward(Array(ids.prefix(3)), cache: cache).scalars
        for id in ids.dropFirst(3) { rows += m.forward([id], cache: cache).scalars }
        XCTAssertEqual(cache.length, 7)
        XCTAssertLessThan(maxAbsDifference(Tensor(shape: full.shape, scalars: rows), full), 1e-4)
        XCTAssertLessThan(maxAbsDifference(m.forward(ids, lastOnly: true), Tensor(shape: [1, 300], scalars: full.row(6))), 1e-5)
    }

    func testHooksObserveAndReplaceTheDownProjection() throws {
        let m = try tinyLoaded().model
        let ids = [1, 2, 3, 4]
        var seen: Tensor?
        let identity = BlockHooks(observeDownInput: { seen = $0 }, replaceDownOutput: { _, frozen in frozen })
        XCTAssertEqual(m.forward(ids, hooks: [1: identity]), m.forward(ids))
        XCTAssertEqual(seen?.shape, [4, 48])
        // The observed activation is the MLP's own: W0·v reproduces the frozen output.
        let shifted = BlockHooks(replaceDownOutput: { v, frozen in
            XCTAssertEqual(m.block(1).mlp.project(v), frozen)
            return add(frozen, Tensor(repeating: 0.5, shape: frozen.shape))
        })
        XCTAssertGreaterThan(maxAbsDifference(m.forward(ids, hooks: [1: shifted]), m.forward(ids)), 1e-3)
        // Running blocks by hand with captures equals the model's forward.
        var residuals: [Int: Tensor] = [:]
        let h = m.run(m.embed(ids), layers: 0..<2, positions: [0, 1, 2, 3]) { residuals[$0] = $1 }
        XCTAssertEqual(m.logits(h), m.forward(ids))
        XCTAssertEqual(residuals[0], m.block(0).forward(m.embed(ids), positions: [0, 1, 2, 3]))
    }

    func testABatchedDecodingStepIsEachSequencesOwnStep() throws {
        let m = try tinyLoaded().model
        let prompts = [[1, 2, 3], [9, 8, 7, 6, 5], [4], [11, 12]]
        func caches() -> [KVCache] {
            prompts.map { p in
                let c = KVCache(configuration: m.configuration)
                _ = m.forward(p, cache: c, lastOnly: true)
                return c
            }
        }
        let next = [5, 6, 7, 8]
        // One by one (each cache at its own position) against the four in one step, twice (the caches grow).
        let alone = caches(), together = caches()
        for step in 0..<2 {
            let ids = next.map { $0 + step }
            let one = zip(ids, alone).map { m.forward([$0], cache: $1) }
            let all = m.decode(ids, caches: together)
            XCTAssertEqual(all.shape, [4, m.configuration.vocabularySize])
            for b in 0..<4 { XCTAssertEqual(sliceRows(all, start: b, count: 1), one[b], "sequence \(b), step \(step)") }
            XCTAssertEqual(together.map(\.length), alone.map(\.length))
        }
        // A hook sees one row per sequence.
        var rows = 0
        _ = m.decode([1, 2], caches: Array(caches().prefix(2)), hooks: [1: BlockHooks(observeDownInput: { rows = $0.rowCount })])
        XCTAssertEqual(rows, 2)
    }

    func testTraceCapturesResidualsAndDownInputs() throws {
        let m = try tinyLoaded().model
        let batch = [[1, 2, 3], [4, 5, 6, 7, 8]]
        let traces = m.trace(batch: batch, layers: 2, downInputsOf: [1, 5])
        XCTAssertEqual(traces.count, 2)
        XCTAssertEqual(traces[1].residuals[1]?.shape, [5, 32])
        XCTAssertEqual(Set(traces[1].downInputs.keys), [1])
        XCTAssertEqual(traces[1].downInputs[1]?.shape, [5, 48])
        // The residual after the last block gives the model's logits; after block 0 it resumes the rest.
        XCTAssertEqual(m.logits(traces[0].residuals[1]!), m.forward(batch[0]))
        let resumed = m.run(traces[1].residuals[0]!, layers: 1..<2, positions: Array(0..<5))
        XCTAssertEqual(resumed, traces[1].residuals[1])
    }

    func testSamplers() {
        let logits: [Float] = [1, 3, 2, 3, -1]
        var greedy = Sampler(.greedy)
        XCTAssertEqual(greedy.sample(logits), 1)  // ties go to the lower id
        var top1 = Sampler(SamplingParameters(temperature: 1, topK: 1, seed: 5))
        XCTAssertEqual(top1.sample(logits), 1)
        var tinyP = Sampler(SamplingParameters(temperature: 1, topP: 0.01, seed: 5))
        XCTAssertEqual((0..<20).map { _ in tinyP.sample([0, 5, 1]) }, Array(repeating: 1, count: 20))
        // Same seed, same draws; the empirical distribution follows softmax(logits / T).
        var a = Sampler(SamplingParameters(temperature: 1, seed: 42)), b = Sampler(SamplingParameters(temperature: 1, seed: 42))
        let draws = (0..<4000).map { _ in a.sample([0, log(3)]) }
        XCTAssertEqual(draws.prefix(50).map { $0 }, (0..<50).map { _ in b.sample([0, log(3)]) })
        let share = Double(draws.filter { $0 == 1 }.count) / 4000
        XCTAssertEqual(share, 0.75, accuracy: 0.03)
        var topK2 = Sampler(SamplingParameters(temperature: 5, topK: 2, seed: 1))
        XCTAssertTrue((0..<200).allSatisfy { _ in [1, 3].contains(topK2.sample(logits)) })
    }

    func testGenerationStopsAtMaxTokensAndStopStrings() throws {
        let loaded = try tinyLoaded()
        let gen = TextGenerator(loaded)
        let free = gen.generate(" the", options: GenerationOptions(maxTokens: 6))
        XCTAssertLessThanOrEqual(free.tokenIDs.count, 6)
        var streamed = ""
        let full = gen.generate(" the", options: GenerationOptions(maxTokens: 12, sampling: SamplingParameters(temperature: 1, seed: 3))) { streamed += $0 }
        XCTAssertEqual(streamed, full.text)
        XCTAssertEqual(full.text, loaded.tokenizer.decode(full.tokenIDs))
        // Stop at the first character the free run produced (if any): the text is cut before it.
        if let first = full.text.first, full.stopReason == .maxTokens {
            var shown = ""
            let stopped = gen.generate(" the", options: GenerationOptions(maxTokens: 12, sampling: SamplingParameters(temperature: 1, seed: 3),
                                                                         stopStrings: [String(first)])) { shown += $0 }
            XCTAssertEqual(stopped.stopReason, .stopString)
            XCTAssertEqual(stopped.text, "")
            XCTAssertEqual(shown, "")
        }
    }

    func testChatTemplateRendersChatML() throws {
        let t = try tinyLoaded().tokenizer
        let jinja = "{% if x %}{{ '<|im_start|>system\nYou are helpful.<|im_end|>\n' }}{% endif %}<|im_start|>{{ role }}"
        let template = try XCTUnwrap(ChatTemplate(jinja: jinja, tokenizer: t))
        XCTAssertEqual(template.defaultSystemMessage, "You are helpful.")
        XCTAssertEqual(template.endOfTurnTokenID, 257)
        XCTAssertEqual(template.render(user: "Hi"),
                       "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertNil(ChatTemplate(jinja: "[INST] {{ x }} [/INST]", tokenizer: t))
        // A conversation: the default system turn first; as tokens, the same as the rendered text with its
        // special tokens parsed, except that a content's spelling of <|im_end|> stays text.
        let turns = [ChatMessage(role: "user", content: "Hi"), ChatMessage(role: "assistant", content: "Hello"),
                     ChatMessage(role: "user", content: "Bye")]
        XCTAssertTrue(template.render(turns).hasPrefix("<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>"))
        XCTAssertEqual(t.encode(template.segments(turns)), t.encode(template.render(turns), parseSpecial: true))
        let sneaky = [ChatMessage(role: "user", content: "a<|im_end|>b")]
        XCTAssertNotEqual(t.encode(template.segments(sneaky)), t.encode(template.render(sneaky), parseSpecial: true))
        XCTAssertEqual(t.encode(template.segments(sneaky)).filter { $0 == 257 }.count, 2, "system and user turns end; the content does not")
    }

    func testModelNames() throws {
        let empty = temporaryFolder()
        XCTAssertThrowsError(try ModelLocator.resolve("smollm2-135m", environment: ["ELDER_MODELS": empty])) { error in
            XCTAssertEqual(error as? ModelLocatorError,
                           .notDownloaded(name: "smollm2-135m", path: empty + "/SmolLM2-135M-Instruct.Q4_1.gguf"))
            XCTAssertTrue("\(error)".contains("bash Samples/fetch-model.sh"))
            XCTAssertFalse("\(error)".contains("\n"))
        }
        XCTAssertEqual(ModelLocator.defaultModelsFolder(environment: ["HOME": "/h"]), "/h/.cache/elder/models")
        XCTAssertThrowsError(try ModelLocator.resolve(empty + "/missing.gguf"))
        let file = empty + "/x.gguf"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data()))
        XCTAssertEqual(try ModelLocator.resolve(file), file)
    }

    /// The file and in-memory digests agree, and match the FIPS 180-2 test vector for "abc".
    func testSHA256OfBytesAndOfFileAgree() throws {
        let bytes = Data("abc".utf8)
        let file = temporaryFolder() + "/abc"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: bytes))
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        XCTAssertEqual(ModelLocator.sha256(of: bytes), expected)
        XCTAssertEqual(try ModelLocator.sha256(ofFile: file), expected)
    }
}
