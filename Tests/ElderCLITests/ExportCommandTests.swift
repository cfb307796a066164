import Elder
import ElderEditing
import ElderModel
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// `elder export`: the live edits' LoRAs as PEFT adapters, the routing vectors and settings, the README and
/// the loader, read back bit for bit against the version's state.
final class ExportCommandTests: XCTestCase {
    func testExportHoldsLiveEditsRoutingAndLoader() throws {
        let repo = try TinyRepo.make()
        let edits = try TinyEdits.commit([(" The capital of Zorbia is", " Quell"), (" The river of Zorbia is", " Vell")], in: repo)
        let out = TinyRepo.folder() + "/export"
        let run = try ElderProcess.run(["export", "HEAD", "--out", out, "--json"], in: repo)
        XCTAssertSucceeded(run)
        XCTAssertEqual(try run.json()["commit"] as? String, edits[1].commit.hex)
        XCTAssertEqual(try run.json()["adapters"] as? Int, 2)

        let workspace = try Workspace.open(at: repo, model: TinyRepo.modelPath)
        let version = try workspace.version(of: edits[1].commit)
        let editor = try workspace.editor(for: version)
        let config = workspace.configuration
        let architecture = workspace.model.configuration
        let (r, k, f, d) = (config.rank, config.topK, architecture.intermediateSize, architecture.hiddenSize)
        let manifest = try readJSON(out + "/elder-export.json")
        XCTAssertEqual(manifest["version"] as? Int, 2)
        XCTAssertEqual(manifest["stateHash"] as? String, edits[1].stateHash)
        let rule = try XCTUnwrap(manifest["rule"] as? [String: Any])
        guard case let .similarityMargin(margin, referenceMargin, minimum) = config.deferral else { return XCTFail("default deferral") }
        XCTAssertEqual(rule["queryBlock"] as? Int, config.query.layer)
        XCTAssertEqual((rule["margin"] as? NSNumber)?.floatValue, margin)
        XCTAssertEqual((rule["referenceMargin"] as? NSNumber)?.floatValue, referenceMargin)
        XCTAssertEqual((rule["minimumSimilarity"] as? NSNumber)?.floatValue, minimum)
        XCTAssertEqual((rule["exactMatchSimilarity"] as? NSNumber)?.floatValue, config.exactMatch)
        XCTAssertEqual(rule["routing"] as? String, "matched-allocation")
        XCTAssertEqual(rule["adapterSpan"] as? String, "from-last-prompt-token")
        XCTAssertEqual(rule["layers"] as? [Int], config.layers)
        XCTAssertFalse((manifest["howToApply"] as? String ?? "").contains("router weight"), "the default reads no router")

        // Only the live edits' experts: one PEFT adapter per edit, none for the untrained slots.
        let exported = try XCTUnwrap(manifest["edits"] as? [[String: Any]])
        XCTAssertEqual(exported.map { $0["id"] as? String }, editor.memory.entries.map(\.id), "memory order")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out + "/edits").sorted(), ["edit-0000", "edit-0001"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/experts.safetensors"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/routers.safetensors"))
        for (entry, edit) in zip(editor.memory.entries, exported) {
            XCTAssertEqual(edit["answerTokens"] as? [Int], editor.taughtAnswer(editID: entry.id))
            XCTAssertEqual(edit["allocation"] as? [[Int]], entry.allocation.experts)
            let folder = out + "/" + (try XCTUnwrap(edit["adapter"] as? String))
            let peft = try readJSON(folder + "/adapter_config.json")
            XCTAssertEqual(peft["peft_type"] as? String, "LORA")
            XCTAssertEqual(peft["r"] as? Int, k * r)
            XCTAssertEqual((peft["lora_alpha"] as? NSNumber)?.doubleValue, Double(config.scaling) * Double(k * r))
            XCTAssertEqual(peft["target_modules"] as? [String], ["down_proj"])
            XCTAssertEqual(peft["layers_to_transform"] as? [Int], config.layers)
            let file = try SafetensorsFile(path: folder + "/adapter_model.safetensors")
            for (l, layer) in config.layers.enumerated() {
                let prefix = "base_model.model.model.layers.\(layer).mlp.down_proj."
                let a = try file.tensor(prefix + "lora_A.weight"), b = try file.tensor(prefix + "lora_B.weight")
                XCTAssertEqual(a.shape, [k * r, f])   // lora_A [r, in]: the experts' A stacked
                XCTAssertEqual(b.shape, [d, k * r])   // lora_B [out, r]: their B side by side
                for (i, j) in entry.allocation.experts[l].enumerated() {
                    let sa = try XCTUnwrap(version.adapter[AdapterState.loraA(layer: layer, expert: j)])
                    let sb = try XCTUnwrap(version.adapter[AdapterState.loraB(layer: layer, expert: j)])
                    let rows = (i * r * f)..<((i + 1) * r * f)
                    XCTAssertTrue(bitwiseEqual(Array(a.scalars[rows]), sa.scalars), "\(layer)-\(j) A")
                    let width = k * r, first = i * r
                    var columns: [Float] = []
                    for row in 0..<d { columns += b.scalars[(row * width + first)..<(row * width + first + r)] }
                    XCTAssertTrue(bitwiseEqual(columns, sb.scalars), "\(layer)-\(j) B")
                }
            }
            if entry.id == editor.memory.entries[0].id { try checkSafetensorsLayout(folder + "/adapter_model.safetensors") }
        }
        // The routing vectors, bit for bit: centre, the whitening projection, reference and edit keys.
        let memory = editor.memory
        XCTAssertFalse(memory.projection.isEmpty, "the default whitens its query")
        let routing = try SafetensorsFile(path: out + "/routing.safetensors")
        XCTAssertTrue(bitwiseEqual(try routing.tensor("centre").scalars, memory.centre))
        XCTAssertEqual(try routing.tensor("projection").shape, [memory.centre.count, memory.centre.count])
        XCTAssertTrue(bitwiseEqual(try routing.tensor("projection").scalars, memory.projection))
        XCTAssertTrue(bitwiseEqual(try routing.tensor("reference_keys").scalars, memory.backgroundKeys.flatMap { $0 }))
        for (entry, edit) in zip(memory.entries, exported) {
            let keys = try routing.tensor(try XCTUnwrap(edit["keys"] as? String))
            XCTAssertEqual(keys.shape, [entry.keys.count, entry.keys[0].count])
            XCTAssertTrue(bitwiseEqual(keys.scalars, entry.keys.flatMap { $0 }), entry.id)
        }
        // README (the specification, then this export's values) and the loader, as committed.
        let shipped = RealModel.packageRoot.appendingPathComponent("Sources/Elder/Export/Shipped").path
        let readme = try String(contentsOfFile: out + "/README.md", encoding: .utf8)
        XCTAssertTrue(readme.hasPrefix(try String(contentsOfFile: shipped + "/README.md", encoding: .utf8)))
        XCTAssertTrue(readme.contains(edits[1].commit.hex))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/elder_route.py")),
                       try Data(contentsOf: URL(fileURLWithPath: shipped + "/elder_route.py")))
    }

    private func readJSON(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any], path)
    }

    /// The file as the safetensors format defines it, read without Elder's reader: u64 LE header length, a
    /// JSON header of {dtype "F32", shape, data_offsets} per tensor, then exactly the data those offsets cover.
    private func checkSafetensorsLayout(_ path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let n = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes[8..<8 + n])) as? [String: Any])
        var covered = 0
        for (name, value) in header where name != "__metadata__" {
            let entry = try XCTUnwrap(value as? [String: Any], name)
            XCTAssertEqual(entry["dtype"] as? String, "F32")
            let shape = try XCTUnwrap(entry["shape"] as? [Int])
            let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int])
            XCTAssertEqual(offsets[1] - offsets[0], 4 * shape.reduce(1, *), name)
            covered += offsets[1] - offsets[0]
        }
        XCTAssertEqual(8 + n + covered, bytes.count, "header + data is the whole file")
    }

    func testExportOfAnOlderVersionAndBadInput() throws {
        let repo = try TinyRepo.make()
        let first = try TinyEdits.commit([(" The capital of Zorbia is", " Quell"), (" The river of Zorbia is", " Vell")], in: repo)[0]
        let out = TinyRepo.folder() + "/old"
        let run = try ElderProcess.run(["export", "HEAD~1", "--out", out, "--json"], in: repo)
        XCTAssertSucceeded(run)
        XCTAssertEqual(try run.json()["stateHash"] as? String, first.stateHash)
        XCTAssertEqual((try readJSON(out + "/elder-export.json")["edits"] as? [[String: Any]])?.count, 1)
        // The folder now exists and is not empty; unknown revisions; no --out; outside a repo.
        XCTAssertFailed(try ElderProcess.run(["export", "--out", out], in: repo), status: 128, containing: "not empty")
        XCTAssertFailed(try ElderProcess.run(["export", "nosuch", "--out", out + "2"], in: repo), status: 128, containing: "unknown revision 'nosuch'")
        XCTAssertEqual(try ElderProcess.run(["export"], in: repo).status, 128)
        XCTAssertFailed(try ElderProcess.run(["export", "--out", out + "3"], in: TinyRepo.folder("elsewhere")),
                        status: 128, containing: "not an Elder knowledge repo")
    }
}
