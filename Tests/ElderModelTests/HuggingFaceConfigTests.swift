import ElderTestSupport
import ElderModel
import Foundation
import XCTest

/// `config.json` of both transformers layouts: RoPE from `rope_parameters` (transformers 5) or `rope_theta`
/// and `rope_scaling` (earlier), and what is not implemented refused with one line naming it.
final class HuggingFaceConfigTests: XCTestCase {
    /// SmolLM2-135M's config.json as transformers 5 saves it (`rope_parameters`, no top-level `rope_theta`).
    nonisolated(unsafe) static let transformers5: [String: Any] = [
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 49152, "hidden_size": 576,
        "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3,
        "head_dim": 64, "hidden_act": "silu", "rms_norm_eps": 1e-5, "tie_word_embeddings": true,
        "max_position_embeddings": 8192, "rope_parameters": ["rope_theta": 100000.0, "rope_type": "default"],
        "transformers_version": "5.0.0",
    ]

    func configuration(_ json: [String: Any]) throws -> LlamaConfiguration {
        try LlamaConfiguration(huggingFaceConfig: JSONSerialization.data(withJSONObject: json), source: "config.json")
    }

    func testTransformers5RopeParametersGiveTheRopeBase() throws {
        let c = try configuration(Self.transformers5)
        XCTAssertEqual(c.ropeBase, 100_000)
        XCTAssertEqual([c.layerCount, c.headCount, c.kvHeadCount, c.headDimension], [30, 9, 3, 64])
        // The transformers 4 layout of the same model gives the same configuration.
        var old = Self.transformers5
        old["rope_parameters"] = nil
        old["rope_theta"] = 100000.0
        old["rope_scaling"] = NSNull()
        XCTAssertEqual(try configuration(old), c)
        // Neither key: the LLaMA default base.
        old["rope_theta"] = nil
        XCTAssertEqual(try configuration(old).ropeBase, 10_000)
    }

    func testUnsupportedRopeTypesAreRefusedInOneLine() throws {
        let llama3: [String: Any] = ["rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                                     "high_freq_factor": 4.0, "original_max_position_embeddings": 8192]
        var new = Self.transformers5
        new["rope_parameters"] = llama3
        var old = Self.transformers5
        old["rope_parameters"] = nil
        old["rope_scaling"] = llama3
        var oldType = Self.transformers5
        oldType["rope_parameters"] = nil
        oldType["rope_scaling"] = ["type": "linear", "factor": 2.0]
        for (json, named) in [(new, "rope_type 'llama3'"), (old, "rope_type 'llama3'"), (oldType, "rope_type 'linear'")] {
            XCTAssertThrowsError(try configuration(json)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(named) && text.contains("not supported"), text)
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
        var partial = Self.transformers5
        partial["partial_rotary_factor"] = 0.5
        XCTAssertThrowsError(try configuration(partial)) { XCTAssertTrue("\($0)".contains("partial_rotary_factor"), "\($0)") }
        var gelu = Self.transformers5
        gelu["hidden_act"] = "gelu_pytorch_tanh"
        XCTAssertThrowsError(try configuration(gelu)) { XCTAssertTrue("\($0)".contains("hidden_act"), "\($0)") }
    }

    func testAFolderSavedByTransformers5LoadsWithItsRopeBase() throws {
        let tiny = TinyCheckpoint.make(seed: 9)
        let dir = temporaryFolder()
        try tiny.writeHuggingFace(to: dir)
        var json = tiny.configJSON
        json["rope_theta"] = nil
        json["rope_parameters"] = ["rope_theta": 100000.0, "rope_type": "default"]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/config.json"))
        XCTAssertEqual(try LoadedModel.load(path: dir).configuration.ropeBase, 100_000)
    }
}
