import ElderEditing
import ElderModel
import ElderRecords
import ElderTestSupport
import Foundation
import XCTest
@testable import ElderEval

/// An interrupted lifelong run resumed from its checkpoint file ends exactly where an uninterrupted run
/// does: the same scores and the same editor state, bit for bit, for every method (tiny model).
final class LifelongResumeTests: XCTestCase {
    struct Interrupted: Error {}

    static let references = ["The weather is", "A cat sat on", "Numbers are"]

    /// The tiny random model (4 blocks, byte-level tokenizer) as a GGUF file, loaded as a user's model is.
    static let modelPath: String = {
        let path = temporaryFolder("elder-eval-tiny-model") + "/tiny-llama.gguf"
        do { try TinyCheckpoint.make(seed: 7, layers: 4).writeGGUF(to: path) } catch {
            preconditionFailure("cannot write the tiny model: \(error)")
        }
        return path
    }()

    func tinyModel() throws -> LoadedModel { try LoadedModel.load(path: Self.modelPath) }

    func edits() -> [EditRecord] {
        (0..<6).map { i in
            EditRecord(id: "e\(i)", prompt: "City \(i) lies in", target: " Q\(i)", paraphrases: ["Town \(i) lies in", "Place \(i) is in"],
                       heldout: ["Where is city \(i)? In"], probes: [Probe(prompt: "Sky \(i) is", datasetAnswer: " blue")])
        }
    }

    func configuration(_ method: EditorConfiguration.Method) -> EditorConfiguration {
        var c = EditorConfiguration.preset(method, blockCount: 4)
        c.iterations = 4
        c.learningRate = 1e-2
        if method != .fineTuneLayer, method != .grace {
            c.layers = [2, 3]   // the tiny model has 4 blocks; the query comes from below the adapter
            c.query.layer = 1
        }
        return c
    }

    func subject(_ loaded: LoadedModel, _ c: EditorConfiguration) throws -> EditorUnderTest {
        EditorUnderTest(editor: try makeEditor(model: loaded, configuration: c, referencePrompts: Self.references), model: loaded.model)
    }

    func parameters(_ c: EditorConfiguration, _ records: [EditRecord], _ run: LifelongRun) -> LifelongRunParameters {
        LifelongRunParameters(name: c.method.rawValue, method: c.method.rawValue, settings: [:], configuration: c, model: "<tiny>",
                              editSet: "<test>", editSetDigest: EditRecord.digest(records), editCount: records.count,
                              checkpoints: run.evaluationProtocol(editCount: records.count, editSet: "<test>").checkpoints,
                              afterEachEdit: run.afterEachEdit)
    }

    func scratchFolder() throws -> String {
        let path = temporaryFolder("resume")
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testResumedRunEqualsUninterruptedRunForEveryMethod() throws {
        let loaded = try tinyModel()
        let records = edits()
        let encoder = TokenizerEncoder(tokenizer: loaded.tokenizer)
        let base = BaseModelScorer(model: loaded.model)
        let run = LifelongRun(checkpoints: [3], afterEachEdit: true)
        for method in EditorConfiguration.Method.allCases {
            let c = configuration(method)
            let whole = try subject(loaded, c)
            let expected = try run.run(method: method.rawValue, edits: records, editor: whole, base: base, encoder: encoder,
                                       hooks: LifelongRunHooks())

            // The same run, saved every 2 edits and killed after edit 5: the last checkpoint holds 4 edits.
            let folder = try scratchFolder()
            let path = folder + "/run.checkpoint"
            let first = try subject(loaded, c)
            var saved: [Int] = []
            var hooks = LifelongRunHooks(checkpointEvery: 2)
            hooks.checkpoint = { state in
                try LifelongCheckpoint(parameters: self.parameters(c, records, run), state: state, editor: first).write(to: path)
                saved.append(state.editsApplied)
            }
            hooks.afterEdit = { state in if state.editsApplied == 5 { throw Interrupted() } }
            XCTAssertThrowsError(try run.run(method: method.rawValue, edits: records, editor: first, base: base, encoder: encoder,
                                             hooks: hooks)) { XCTAssertTrue($0 is Interrupted) }
            XCTAssertEqual(saved, [2, 3, 4], method.rawValue)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["run.checkpoint"], "no temporary file is left")

            // A new process would read the file, rebuild the editor over the model and continue.
            let checkpoint = try LifelongCheckpoint(contentsOf: path)
            XCTAssertEqual(checkpoint.state.editsApplied, 4)
            XCTAssertNil(checkpoint.parameters.difference(from: parameters(c, records, run)))
            let resumed = try checkpoint.editor(model: loaded)
            let result = try run.run(method: method.rawValue, edits: records, editor: resumed, base: base, encoder: encoder,
                                     hooks: LifelongRunHooks(resume: checkpoint.state))

            XCTAssertEqual(result.curve, expected.curve, "\(method.rawValue): scores differ after resuming")
            XCTAssertEqual(result.curve.points.map(\.editsApplied), [3, 6])
            XCTAssertEqual(result.parameterCount, expected.parameterCount)
            let a = whole.editor.adapter, b = resumed.editor.adapter
            XCTAssertFalse(a.changedNames(since: try subject(loaded, c).editor.adapter).isEmpty, "\(method.rawValue) edited nothing")
            XCTAssertEqual(a.names, b.names, method.rawValue)
            for name in a.names {
                XCTAssertEqual(a[name]?.shape, b[name]?.shape, name)
                XCTAssertTrue(bitwiseEqual(a[name]!.scalars, b[name]!.scalars), "\(method.rawValue): \(name) differs")
            }
            XCTAssertEqual(try MemoryCodec.encode(whole.editor.memory), try MemoryCodec.encode(resumed.editor.memory),
                           "\(method.rawValue): memory differs")
            XCTAssertEqual(whole.outcomes.map(\.iterations), resumed.outcomes.map(\.iterations))
            XCTAssertEqual(resumed.outcomes.count, 6)
            // Timings of the 4 saved edits are kept: the total covers 6 edits, at least 3 of them ≥ the median.
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(result.totalEditSeconds), 3 * (try XCTUnwrap(result.secondsPerEdit)))
            XCTAssertGreaterThan(try XCTUnwrap(result.peakResidentBytes), 1_000_000)
        }
    }

    func testCheckpointRoundTripsAndRefusesOtherFiles() throws {
        let loaded = try tinyModel()
        let records = Array(edits().prefix(2))
        let c = configuration(.grace)
        let editor = try subject(loaded, c)
        let run = LifelongRun(checkpoints: [], afterEachEdit: false)
        var checkpoint: LifelongCheckpoint?
        _ = try run.run(method: "grace", edits: records, editor: editor, base: BaseModelScorer(model: loaded.model),
                        encoder: TokenizerEncoder(tokenizer: loaded.tokenizer),
                        hooks: LifelongRunHooks(checkpoint: { state in
                            checkpoint = LifelongCheckpoint(parameters: self.parameters(c, records, run), state: state, editor: editor)
                        }))
        let saved = try XCTUnwrap(checkpoint)
        XCTAssertEqual(saved.state.editsApplied, 2)
        XCTAssertFalse(saved.adapter.names.isEmpty, "GRACE's codebook lives in the adapter tensors")
        let path = try scratchFolder() + "/c.checkpoint"
        try saved.write(to: path)
        try saved.write(to: path)   // replaces the file
        XCTAssertEqual(try LifelongCheckpoint(contentsOf: path), saved)

        var other = parameters(c, records, run)
        other.settings = ["iterations": "9"]
        XCTAssertEqual(other.difference(from: saved.parameters), "settings: iterations=9 vs none")
        other = saved.parameters
        other.editSetDigest = EditRecord.digest(Array(edits().prefix(3)))
        XCTAssertNotNil(other.difference(from: saved.parameters))

        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try LifelongCheckpoint(contentsOf: path))
    }

    func testDigestDependsOnTheEditsAndTheirOrder() {
        let e = edits()
        XCTAssertEqual(EditRecord.digest(e), EditRecord.digest(edits()))
        XCTAssertNotEqual(EditRecord.digest(e), EditRecord.digest(Array(e.reversed())))
        XCTAssertNotEqual(EditRecord.digest(e), EditRecord.digest(Array(e.prefix(5))))
        XCTAssertTrue(EditRecord.digest(e).hasPrefix("fnv1a64:"))
        XCTAssertEqual(EditRecord.digest(e).count, 8 + 16)
    }
}
