import ElderTestSupport
import ElderModel
import ElderTensor
import Foundation
import XCTest

/// The Gemma 3 block on a tiny random checkpoint against a float64 forward pass written from Gemma 3's
/// definition (TinyGemma.naiveLogits), and the SentencePiece tokenizer on a tiny vocabulary.
final class TinyGemmaTests: XCTestCase {
    func write(_ gemma: TinyGemma = .make(), extra: [(String, GGUFValue)] = []) throws -> String {
        let path = temporaryFolder() + "/tiny-gemma.gguf"
        try gemma.writeGGUF(to: path, extra: extra)
        return path
    }

    func testForwardMatchesGemmaDefinitionInEveryPositionOfAWindow() throws {
        let gemma = TinyGemma.make()
        let loaded = try LoadedModel.load(path: write(gemma))
        let c = loaded.configuration
        XCTAssertEqual((0..<4).map { c.block.isLocal($0) }, [true, false, true, false])
        XCTAssertEqual(c.block.localRopeBase, 10_000)
        // 7 tokens: local blocks see 3 positions, so the window cuts in from position 3 on.
        let ids = [2, 270, 271, 100, 272, 264, 5]
        for length in [1, 3, 4, 7] {
            let prefix = Array(ids.prefix(length))
            let got = loaded.model.forward(prefix, lastOnly: true).scalars
            let expected = gemma.naiveLogits(prefix)
            var worst = 0.0
            for (a, b) in zip(got, expected) { worst = max(worst, abs(Double(a) - b)) }
            XCTAssertLessThan(worst, 2e-4, "length \(length): worst |logit diff| \(worst)")
        }
        // Token by token through the KV cache gives the same last row.
        let cache = KVCache(configuration: c)
        var last = Tensor(zeros: [1])
        for id in ids { last = loaded.model.forward([id], cache: cache) }
        XCTAssertLessThan(maxAbsDifference(last, loaded.model.forward(ids, lastOnly: true)), 1e-4)
    }

    func testWindowAndPatternComeFromTheMetadata() throws {
        let gemma = TinyGemma.make(seed: 5)
        let loaded = try LoadedModel.load(path: write(gemma, extra: [("gemma3.attention.sliding_window", .uint32(64))]))
        XCTAssertEqual(loaded.configuration.block.window(0), 64)
        XCTAssertNil(loaded.configuration.block.window(1))
    }

    func testUnsupportedGemmaSettingsAreRefusedByName() throws {
        for (key, value, named) in [("gemma3.rope.scaling.type", GGUFValue.string("linear"), "RoPE scaling 'linear'"),
                                    ("gemma3.attn_logit_softcapping", .float32(50), "attn_logit_softcapping"),
                                    ("gemma3.final_logit_softcapping", .float32(30), "final_logit_softcapping"),
                                    ("general.architecture", .string("gemma2"), "architecture 'gemma2' is not supported")] {
            XCTAssertThrowsError(try LoadedModel.load(path: write(extra: [(key, value)])), key) { error in
                XCTAssertTrue("\(error)".contains(named), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }

    func testSentencePieceMergesByScoreWithByteFallback() throws {
        let tokenizer = try LoadedModel.tokenizer(gguf: GGUFFile(path: write()))
        let v = TinyGemma.vocabulary.tokens
        func id(_ s: String) -> Int { v.firstIndex(of: s)! }
        // "ab ab": pieces a,b,▁,a,b; the best-scoring pair is "▁a" (-3) then "ab" (-4), then "▁ab" (-5)
        // beats nothing left to merge; BOS first.
        XCTAssertEqual(tokenizer.encode("ab ab"), [2, id("ab"), id("▁ab")])
        // "abab" is a token but reachable only through "ab"+"ab" (the pair "ba" scores -6, "ab" -4 twice).
        XCTAssertEqual(tokenizer.encode("abab"), [2, id("abab")])
        // Characters without a token fall back to their UTF-8 bytes.
        XCTAssertEqual(tokenizer.encode("z€"), [2, id("<0x7A>"), id("<0xE2>"), id("<0x82>"), id("<0xAC>")])
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("z€ ab\n\na")), "z€ ab\n\na")
        // Spellings are compared as bytes: "e" + U+0301 is not the token "é" (U+00E9), though Swift's String
        // equality would call them equal.
        XCTAssertFalse(tokenizer.encode("e\u{301}").contains(id("\u{E9}")))
        XCTAssertEqual(tokenizer.encode("\u{E9}"), [2, id("\u{E9}")])
        // A user-defined token is cut out first, always; control tokens only when special tokens are parsed.
        XCTAssertEqual(tokenizer.encode("a\n\nb"), [2, id("a"), id("\n\n"), id("b")])
        XCTAssertEqual(tokenizer.encode("<start_of_turn>a", parseSpecial: true), [2, id("<start_of_turn>"), id("a")])
        XCTAssertFalse(tokenizer.encode("<start_of_turn>a").contains(id("<start_of_turn>")))
        XCTAssertEqual(tokenizer.decode([2, id("<start_of_turn>"), id("a")]), "a")
        XCTAssertEqual(tokenizer.decode([id("<start_of_turn>")], includeSpecial: true), "<start_of_turn>")
    }

    func testGemmaChatTemplateIsRecognized() throws {
        let tokenizer = try LoadedModel.tokenizer(gguf: GGUFFile(path: write()))
        // The shape of Gemma 3's Jinja template (the turn markers are what Elder recognizes).
        let jinja = "{{ bos_token }}{% for message in messages %}<start_of_turn>{{ role }}\n{{ message['content'] | trim }}<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
        let template = try XCTUnwrap(ChatTemplate(jinja: jinja, tokenizer: tokenizer))
        XCTAssertEqual(template.format, .gemma)
        XCTAssertEqual(template.endOfTurnTokenID, TinyGemma.vocabulary.tokens.firstIndex(of: "<end_of_turn>"))
        XCTAssertEqual(template.render(user: "Hi"), "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n")
        XCTAssertEqual(template.render(user: "Hi", system: "Be brief."),
                       "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n")
        // A conversation, as Gemma 3's template writes it: the system message opens the first user turn, the
        // assistant is `model`; as tokens, the rendered text with its control tokens parsed, except that a
        // content's spelling of <end_of_turn> stays text.
        let turns = [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi"),
                     ChatMessage(role: "assistant", content: "Hello"), ChatMessage(role: "user", content: "Bye")]
        XCTAssertEqual(template.render(turns), "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n"
                       + "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n")
        XCTAssertEqual(tokenizer.encode(template.segments(turns)), tokenizer.encode(template.render(turns), parseSpecial: true))
        let end = try XCTUnwrap(template.endOfTurnTokenID)
        let sneaky = [ChatMessage(role: "user", content: "a<end_of_turn>b")]
        XCTAssertEqual(tokenizer.encode(template.segments(sneaky)).filter { $0 == end }.count, 1, "the user turn ends; the content does not")
        XCTAssertEqual(tokenizer.encode(template.render(sneaky), parseSpecial: true).filter { $0 == end }.count, 2)
    }

    func testConfigurationRoundTripsThroughJSONAndALlamaOneWritesNoBlock() throws {
        let gemma = try LlamaConfiguration(gguf: GGUFFile(path: write()))
        let data = try JSONEncoder().encode(gemma)
        XCTAssertEqual(try JSONDecoder().decode(LlamaConfiguration.self, from: data), gemma)
        let llama = TinyCheckpoint.make().configuration
        let text = String(decoding: try JSONEncoder().encode(llama), as: UTF8.self)
        XCTAssertFalse(text.contains("block"), text)
        XCTAssertEqual(try JSONDecoder().decode(LlamaConfiguration.self, from: Data(text.utf8)).block, .llama)
    }
}
