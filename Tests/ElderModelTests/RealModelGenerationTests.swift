import ElderTestSupport
import ElderModel
import Foundation
import XCTest

/// The real model by name: the cached file's checksum and the chat template.
final class RealModelGenerationTests: XCTestCase {
    func testCachedModelHasTheRecordedChecksum() throws {
        let path = try RealModel.requirePath()
        try ModelLocator.verify(ModelLocator.known[0], at: path)
    }

    func testChatTemplateAndEndOfTurn() throws {
        let loaded = try RealModel.load()
        let template = try XCTUnwrap(loaded.chatTemplate)
        XCTAssertEqual(template.defaultSystemMessage, "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        XCTAssertTrue(loaded.stopTokenIDs.contains(2))
        let result = TextGenerator(loaded).generate("What is the capital of France?",
                                                    options: GenerationOptions(maxTokens: 40, useChatTemplate: true))
        print("chat: \(result.text.debugDescription) (\(result.stopReason))")
        XCTAssertTrue(result.text.contains("Paris"), result.text)
    }
}
