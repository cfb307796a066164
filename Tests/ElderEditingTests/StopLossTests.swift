import ElderEditing
import ElderModel
import XCTest

/// The early-stop rule of Elder's default: stop when every target is the argmax and, with `stop-loss`, the
/// batch's mean target loss has come down to the threshold.
final class StopLossTests: XCTestCase {
    func edit(stopLoss: Float?) throws -> EditOutcome {
        let loaded = try TinyModel.make()
        var c = EditorConfiguration.elderDefault(blockCount: 4)
        c.learningRate = 1e-2
        c.iterations = 200
        c.earlyStopLoss = stopLoss
        let editor = try MixtureEditor(model: loaded, configuration: c, referencePrompts: ["ab cd", "ef gh", "ij kl"])
        return try editor.edit(EditRequest(id: "e", prompt: "xy zw", target: " Q", paraphrases: ["zw xy", "xy, zw"]))
    }

    func testStopLossTrainsOnUntilTheLossReachesIt() throws {
        let argmaxOnly = try edit(stopLoss: nil)
        let stopLoss = try edit(stopLoss: 0.5)
        XCTAssertTrue(argmaxOnly.converged)
        XCTAssertTrue(stopLoss.converged)
        XCTAssertGreaterThan(argmaxOnly.finalLoss, 0.5, "the bare argmax rule already stops below the threshold: the test shows nothing")
        XCTAssertLessThanOrEqual(stopLoss.finalLoss, 0.5)
        XCTAssertGreaterThan(stopLoss.iterations, argmaxOnly.iterations)
    }

    func testStopLossIsASetting() throws {
        let c = try EditorConfiguration.elderDefault(blockCount: 30).applying(["stop-loss": "0.25"])
        XCTAssertEqual(c.earlyStopLoss, 0.25)
        XCTAssertNil(try c.applying(["stop-loss": "off"]).earlyStopLoss)
        XCTAssertEqual(EditorConfiguration.elderDefault(blockCount: 30).earlyStopLoss, 0.05)
        XCTAssertThrowsError(try c.applying(["stop-loss": "low"]))
    }
}
