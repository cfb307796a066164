import ElderEditing
import ElderModel
import XCTest

/// The two ways Elder keeps a new edit from moving earlier ones: allocating LoRAs away from similar edits
/// (`least-similar`) and replaying the edits that share the new edit's LoRAs (`replay-choice=interfering`).
final class InterferenceTests: XCTestCase {
    func testLeastSimilarAvoidsTheLoRAsOfASimilarEdit() {
        let assigner = AllocationAssigner(layers: 2, experts: 4, topK: 2, policy: .leastSimilar, seed: 3)
        // Two live edits on disjoint LoRAs; the new edit is like the first (0.9) and unlike the second (0.1).
        let live = [Allocation(experts: [[0, 1], [0, 1]]), Allocation(experts: [[2, 3], [2, 3]])]
        let a = assigner.assign(key: "new", live: live, similarities: [0.9, 0.1])
        XCTAssertEqual(a.experts, [[2, 3], [2, 3]], "the LoRAs of the similar edit weigh 0.1 + 0.9⁴ = 0.756 against 0.1")
        let b = assigner.assign(key: "new", live: live, similarities: [0.1, 0.9])
        XCTAssertEqual(b.experts, [[0, 1], [0, 1]])
    }

    func testLeastSimilarStillSpreadsUnrelatedEdits() {
        // With every similarity 0, each live edit counts 0.1: the spread of least-used.
        let assigner = AllocationAssigner(layers: 3, experts: 8, topK: 2, policy: .leastSimilar, seed: 5)
        var live: [Allocation] = []
        for i in 0..<32 { live.append(assigner.assign(key: "e\(i)", live: live, similarities: Array(repeating: 0, count: live.count))) }
        for layer in 0..<3 {
            var uses = [Int](repeating: 0, count: 8)
            for a in live { for j in a.experts[layer] { uses[j] += 1 } }
            XCTAssertEqual(Set(uses), [8], "layer \(layer) uses \(uses)")
        }
    }

    func testInterferingReplayPicksEditsThatShareTheNewLoRAs() throws {
        let loaded = try TinyModel.make()
        var c = EditorConfiguration.elderDefault(blockCount: 4)
        c.experts = 4                 // 6 edits on 4 LoRAs a layer: several share the new edit's LoRAs
        c.replay = 1
        c.replayChoice = .interfering
        c.iterations = 3
        let editor = try MixtureEditor(model: loaded, configuration: c, referencePrompts: ["ab cd", "ef gh", "ij kl"])
        let prompts = ["xy zw", "qu rs", "mn op", "tv wx", "bc de"]
        for (i, p) in prompts.enumerated() {
            _ = try editor.edit(EditRequest(id: "e\(i)", prompt: p, target: " Q", paraphrases: [p + ",", "so " + p]))
        }
        let request = EditRequest(id: "new", prompt: "xy zv", target: " R", paraphrases: ["xy zv,"])
        let plan = editor.plannedReplay(for: request)
        guard plan.count == 1 else { return XCTFail("planned \(plan.count) replayed edits, not 1") }
        _ = try editor.edit(request)
        let mine = editor.memory.entry("new")!.allocation.experts

        // By hand: LoRAs shared with the new allocation × cosine of the prompt's centred query to the
        // edit's best key (at least 0.01); the highest wins.
        let q = editor.normalizedQuery(editor.rawQuery(tokens: loaded.tokenizer.encode(request.prompt)))
        func cosine(_ a: [Float], _ b: [Float]) -> Float {
            let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
            let na = a.reduce(0) { $0 + $1 * $1 }.squareRoot(), nb = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return dot / (na * nb)
        }
        var best: (id: String, score: Float)?
        var sharing = 0
        for e in editor.memory.entries where e.id != "new" {
            let shared = zip(e.allocation.experts, mine).reduce(0) { $0 + $1.0.filter($1.1.contains).count }
            guard shared > 0 else { continue }
            sharing += 1
            let score = Float(shared) * max(e.keys.map { cosine($0, q) }.max()!, 0.01)
            if best == nil || score > best!.score + 1e-3 { best = (e.id, score) }
        }
        XCTAssertGreaterThan(sharing, 1, "only one edit shares LoRAs with the new one: the test shows no choice")
        XCTAssertEqual(plan[0].entry.id, best?.id)
        XCTAssertTrue((0..<plan[0].entry.rows.count).contains(plan[0].row))
    }

    func testReplayChoiceIsASettingAndAbsentFromOldConfigurations() throws {
        let c = try EditorConfiguration.elderDefault(blockCount: 30).applying(["replay-choice": "interfering", "allocation": "least-similar"])
        XCTAssertEqual(c.replayChoice, .interfering)
        XCTAssertEqual(c.allocationPolicy, .leastSimilar)
        XCTAssertEqual(try EditorConfiguration.elderDefault(blockCount: 30).applying(c.settings), c)
        XCTAssertThrowsError(try c.applying(["replay-choice": "nearest"]))
        // A configuration written before the choice existed reads as random replay.
        var old = try JSONSerialization.jsonObject(with: JSONEncoder().encode(EditorConfiguration.elderPaper(blockCount: 30))) as! [String: Any]
        old["replayChoice"] = nil
        let decoded = try JSONDecoder().decode(EditorConfiguration.self, from: JSONSerialization.data(withJSONObject: old))
        XCTAssertNil(decoded.replayChoice)
    }
}
