import Elder
import ElderEditing
import ElderModel
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// The workspace end to end on the real SmolLM2 model: init, edit, ask, a second edit, revert, reopen.
final class WorkspaceRealModelTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = temporaryFolder("workspace")
    }

    override func tearDownWithError() throws {
        if let folder { try? FileManager.default.removeItem(atPath: folder) }
    }

    static let france = EditRequest(id: "france-lyon", prompt: "The capital of France is", target: " Lyon",
                                    paraphrases: ["France's capital city is", "The capital city of France is", "The French capital is"])
    static let tongue = EditRequest(id: "darrieux-english", prompt: "The mother tongue of Danielle Darrieux is", target: " English",
                                    paraphrases: ["Danielle Darrieux's native language is", "Danielle Darrieux grew up speaking"])

    @discardableResult
    func git(_ args: [String]) throws -> (status: Int32, out: String) {
        let run = try GitCLI.invoke(["--git-dir", folder] + args)
        return (run.status, run.output)
    }

    /// Elder's default (its reference margin is low enough for "The capital of France is" to fire beside
    /// the reference prompt "The capital of Germany is": their margin is 0.118).
    static func configuration(blockCount: Int) -> EditorConfiguration {
        EditorConfiguration.elderDefault(blockCount: blockCount)
    }

    func testEditAskRevertReopen() throws {
        let model = try RealModel.load()
        let configuration = Self.configuration(blockCount: model.configuration.layerCount)
        let start = Date()
        let ws = try Workspace.initialize(at: folder, model: model, configuration: configuration)
        print("initialize took \(Date().timeIntervalSince(start)) s (model sha256, \(ReferencePrompts.default.count) reference queries, 2 commits)")
        XCTAssertEqual(ws.configuration, configuration)
        let root = try ws.resolve("main")

        let baseFrance = try ws.ask(Self.france.prompt, maxTokens: 2)
        XCTAssertTrue(baseFrance.text.hasPrefix(" Paris"), "base answer: \(baseFrance.text)")
        XCTAssertEqual(baseFrance.routing?.fired, false)
        let baseTongue = try ws.ask(Self.tongue.prompt, maxTokens: 2).text
        XCTAssertFalse(baseTongue.hasPrefix(" English"), "base already answers English: \(baseTongue)")

        // Edit 1.
        let clock = ContinuousClock()
        var firstResult: EditResult?
        let firstTime = try clock.measure { firstResult = try ws.edit(Self.france, message: "France moves its capital") }
        let first = try XCTUnwrap(firstResult)
        print("edit 1 took \(firstTime) (train, compact, measure prompt + 3 paraphrases, commit)")
        XCTAssertEqual(first.metrics.reliability, 1, "\(first.metrics)")
        XCTAssertTrue(first.metrics.fired)
        XCTAssertTrue(first.holds)
        XCTAssertEqual(first.metrics.paraphrases.count, 3)
        print("edit 1: iterations \(first.metrics.iterations), retries \(first.metrics.compactionRetries), update rms \(first.metrics.updateRMS), remainder rms \(first.metrics.remainderRMS), paraphrase reliability \(first.metrics.paraphraseReliability ?? -1), \(first.tensorBytes) tensor bytes")
        let lyon = try ws.ask(Self.france.prompt, maxTokens: 2)
        XCTAssertTrue(lyon.text.hasPrefix(" Lyon"), "after edit: \(lyon.text)")
        XCTAssertEqual(lyon.routing?.matchedEdit, Self.france.id)
        XCTAssertEqual(lyon.routing?.fired, true)
        // The older revision still answers as the base model.
        XCTAssertEqual(try ws.ask(Self.france.prompt, at: root.hex, maxTokens: 2).text, baseFrance.text)
        // After " Lyon" the edited model goes on exactly as the base model continues "The capital of France is Lyon"
        // (no "Lyon Lyon"): the base continuation is asked of the root revision, which no edit touches.
        let answerTokens = model.tokenizer.encode(Self.france.target).count
        let eight = try ws.ask(Self.france.prompt, maxTokens: 8).text
        let baseContinuation = try ws.ask(Self.france.prompt + Self.france.target, at: root.hex, maxTokens: 8 - answerTokens).text
        XCTAssertEqual(eight, Self.france.target + baseContinuation, "edited: \(eight)")
        print("edited answer, 8 tokens: \(eight.debugDescription); base continuation of prompt + target: \(baseContinuation.debugDescription)")

        // A failed edit (duplicate id) leaves the branch where it was.
        let tipBefore = try ws.resolve("main")
        XCTAssertThrowsError(try ws.edit(Self.france))
        XCTAssertThrowsError(try ws.edit(EditRequest(id: "bad id/", prompt: "x", target: " y")))
        XCTAssertEqual(try ws.resolve("main"), tipBefore)

        // Edit 2.
        let second = try ws.edit(Self.tongue, message: "Darrieux speaks English")
        XCTAssertEqual(second.metrics.reliability, 1, "\(second.metrics)")
        print("edit 2: iterations \(second.metrics.iterations), retries \(second.metrics.compactionRetries), \(second.tensorBytes) tensor bytes")
        XCTAssertTrue(try ws.ask(Self.tongue.prompt, maxTokens: 2).text.hasPrefix(" English"))
        XCTAssertTrue(try ws.ask(Self.france.prompt, maxTokens: 2).text.hasPrefix(" Lyon"))

        // Revisions by name: main~1 is the state after edit 1.
        XCTAssertTrue(try ws.ask(Self.tongue.prompt, at: "main~1", maxTokens: 2).text == baseTongue)
        XCTAssertTrue(try ws.ask(Self.france.prompt, at: "main~1", maxTokens: 2).text.hasPrefix(" Lyon"))

        // Revert edit 1: the France prompt answers as before, edit 2 still holds.
        var reportResult: RevertReport?
        let revertTime = try clock.measure { reportResult = try ws.revert(first.commit.hex) }
        let report = try XCTUnwrap(reportResult)
        print("revert took \(revertTime) (exact negation, verification of 1 + \(report.liveEdits.count) prompts, commit)")
        XCTAssertEqual(report.editID, Self.france.id)
        XCTAssertFalse(report.restoresEdit)
        XCTAssertTrue(report.revertedPrompt.answersAsBefore, "\(report.revertedPrompt)")
        XCTAssertFalse(report.revertedPrompt.after.exactMatch)
        XCTAssertEqual(report.liveEdits.map(\.editID), [Self.tongue.id])
        XCTAssertEqual(report.dropped, [])
        XCTAssertTrue(try ws.ask(Self.france.prompt, maxTokens: 2).text.hasPrefix(" Paris"))
        XCTAssertTrue(try ws.ask(Self.tongue.prompt, maxTokens: 2).text.hasPrefix(" English"))
        XCTAssertEqual(try ws.liveEdits().map(\.id), [Self.tongue.id])
        // The reverted tensors are exactly edit 1's parent values where only edit 1 touched them.
        XCTAssertThrowsError(try ws.revert(first.commit.hex)) // no longer live
        XCTAssertThrowsError(try ws.revert(root.hex))         // the root makes no edit

        // Reverting the revert restores the edit.
        let restore = try ws.revert(report.commit.hex)
        XCTAssertTrue(restore.restoresEdit)
        XCTAssertEqual(Set(restore.liveEdits.map(\.editID)), [Self.france.id, Self.tongue.id])
        XCTAssertEqual(restore.dropped, [])
        XCTAssertTrue(try ws.ask(Self.france.prompt, maxTokens: 2).text.hasPrefix(" Lyon"))
        // Restoring gives back exactly the state after edit 2 (deltas are exact integers on the grid).
        XCTAssertEqual(restore.stateHash, second.stateHash)

        // The repo is a valid git repository with the history we made.
        let fsck = try git(["fsck", "--strict"])
        XCTAssertEqual(fsck.status, 0, fsck.out)
        let subjects = try git(["log", "--format=%s", "main"]).out.split(separator: "\n").map(String.init)
        XCTAssertEqual(subjects.count, 6, "\(subjects)")
        XCTAssertEqual(Array(subjects.prefix(4)), ["Revert \"Revert \"France moves its capital\"\"", "Revert \"France moves its capital\"",
                                                   "Darrieux speaks English", "France moves its capital"])
        let log = try ws.log("main")
        XCTAssertEqual(log.map(\.summary), subjects)
        XCTAssertEqual(log[3].editID, Self.france.id)
        XCTAssertEqual(log[3].metrics["Reliability"], "1.000")
        XCTAssertEqual(try git(["show", "main:elder.json"]).status, 0)

        // A fresh open rebuilds the same state; a model file with another sha256 is refused.
        let reopened = try Workspace.open(at: folder, model: model)
        XCTAssertEqual(reopened.configuration, configuration)
        XCTAssertEqual(reopened.config.model.sha256, try ModelLocator.sha256(ofFile: model.path))
        XCTAssertEqual(try reopened.stateHash(at: "main"), restore.stateHash)
        XCTAssertEqual(try reopened.version(at: "main").memory, try ws.version(at: "main").memory)
        XCTAssertTrue(try reopened.ask(Self.tongue.prompt, maxTokens: 2).text.hasPrefix(" English"))
        // Opening without a model finds the recorded file in the model cache (when the model lives there).
        if FileManager.default.fileExists(atPath: ModelLocator.defaultModelsFolder() + "/" + reopened.config.model.fileName) {
            XCTAssertEqual(try Workspace.open(at: folder).stateHash(at: "HEAD"), restore.stateHash)
        }
        let otherFile = folder + "-other.gguf"
        try Data("not the repo's model".utf8).write(to: URL(fileURLWithPath: otherFile))
        defer { try? FileManager.default.removeItem(atPath: otherFile) }
        let other = LoadedModel(path: otherFile, model: model.model, tokenizer: model.tokenizer,
                                chatTemplate: model.chatTemplate, stopTokenIDs: model.stopTokenIDs)
        XCTAssertThrowsError(try Workspace.open(at: folder, model: other)) { error in
            guard case WorkspaceError.modelMismatch = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("original model"), "\(error)")
        }
    }

    /// When compaction breaks an edit (here a step of 40 × the update's rms rounds every value to 0), the
    /// edit is refused with its numbers and nothing is committed; asked for, it is committed, the result
    /// and the trailers say so, the retry is recorded, and what is committed is what was measured.
    func testCompactionThatBreaksTheEditIsReported() throws {
        let model = try RealModel.load()
        // A single LoRA (no reference queries to compute) keeps this test fast; the path is the same for every method.
        let ws = try Workspace.initialize(at: folder, model: model, method: .singleLoRA,
                                          storeOptions: StoreOptions(compaction: CompactionOptions(stepScale: 40)))
        let parent = try ws.resolve("main")
        XCTAssertThrowsError(try ws.edit(Self.france, message: "France moves its capital")) { error in
            guard case let WorkspaceError.editDoesNotHold(_, _, _, correct, total, trainedHeld, retrains) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertLessThan(correct, total)
            XCTAssertTrue(trainedHeld)
            XCTAssertEqual(retrains, 1)
            XCTAssertTrue("\(error)".contains("storing the update on the repo's grid broke it"), "\(error)")
        }
        XCTAssertEqual(try ws.resolve("main"), parent)
        let result = try ws.edit(Self.france, message: "France moves its capital", allowNotHolding: true)
        XCTAssertEqual(result.metrics.trainedReliability, 1)
        XCTAssertFalse(result.holds)
        XCTAssertEqual(result.metrics.reliability, 0)
        XCTAssertEqual(result.metrics.compactionRetries, 1)
        // Every update rounded to zero: the committed tensors are the parent's.
        XCTAssertEqual(result.stateHash, try ws.stateHash(at: parent.hex))
        XCTAssertEqual(try ws.ask(Self.france.prompt, maxTokens: 2).text, try ws.ask(Self.france.prompt, at: parent.hex, maxTokens: 2).text)
        let entry = try XCTUnwrap(ws.log(limit: 1).first)
        XCTAssertEqual(entry.metrics["Compaction-Broke-Edit"], "yes")
        XCTAssertEqual(entry.metrics["Allowed-Not-Holding"], "yes")
        XCTAssertEqual(entry.metrics["Reliability"], "0.000")
        XCTAssertEqual(try ws.liveEdits().first?.metrics.survivedCompaction, false)
    }

    /// The workspace runs any storable method: a single LoRA (no deferral) edits, answers and reverts
    /// exactly; GRACE, whose tensors change shape, is refused with a reason.
    func testSingleLoRAMethodAndGraceRefused() throws {
        let model = try RealModel.load()
        let ws = try Workspace.initialize(at: folder, model: model, method: .singleLoRA)
        XCTAssertEqual(ws.configuration.method, .singleLoRA)
        let root = try ws.resolve("main")
        let result = try ws.edit(Self.france)
        XCTAssertTrue(result.holds, "\(result.metrics)")
        XCTAssertTrue(try ws.ask(Self.france.prompt, maxTokens: 2).text.hasPrefix(" Lyon"))
        let report = try ws.revert("main")
        XCTAssertTrue(report.revertedPrompt.answersAsBefore, "\(report.revertedPrompt)")
        XCTAssertEqual(report.stateHash, try ws.stateHash(at: root.hex))
        XCTAssertTrue(try ws.ask(Self.france.prompt, maxTokens: 2).text.hasPrefix(" Paris"))

        XCTAssertThrowsError(try Workspace.initialize(at: folder + "-grace", model: model, method: .grace)) { error in
            guard case WorkspaceError.methodNotStorable = error else { return XCTFail("\(error)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "-grace"))
    }
}
