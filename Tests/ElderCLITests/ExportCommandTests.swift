import Elder
import ElderEditing
import ElderModel
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// `elder export`: PEFT adapters per expert, routers and codebook, read back bit for bit.
final class ExportCommandTests: XCTestCase {
    func testExportIsPEFTLayoutAndBitExact() throws {
        let repo = try TinyRepo.make()
        let edits = try TinyEdits.commit([(" The capital of Zorbia is", " Quell"), (" The river of Zorbia is", " Vell")], in: repo)
        let out = TinyRepo.folder() + "/export"
        let run = try ElderProcess.run(["export", "HEAD", "--out", out, "--json"], in: repo)
        XCTAssertSucceeded(run)
        XCTAssertEqual(try run.json()["commit"] as? String, edits[1].commit.hex)

        let store = try KnowledgeStore.open(at: repo)
        let state = try store.state(of: edits[1].commit)
        let config = try WorkspaceConfig.decode(store.workspaceConfigJSON).editor
        let architecture = try LoadedModel.load(path: TinyRepo.modelPath).configuration
        let (r, f, d) = (config.rank, architecture.intermediateSize, architecture.hiddenSize)
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/elder-export.json")))
                                     as? [String: Any])
        XCTAssertEqual(manifest["stateHash"] as? String, edits[1].stateHash)
        XCTAssertEqual((manifest["liveEdits"] as? [[String: Any]])?.count, 2)
        let experts = try XCTUnwrap(manifest["experts"] as? [[String: Any]])
        XCTAssertEqual(experts.count, config.layers.count * config.experts)
        var trained = 0
        for layer in config.layers {
            for j in 0..<config.experts {
                let folder = out + "/expert-\(layer)-\(j)"
                // adapter_config.json: a standard PEFT LoRA on this block's down_proj.
                let peft = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/adapter_config.json")))
                                         as? [String: Any])
                XCTAssertEqual(peft["peft_type"] as? String, "LORA")
                XCTAssertEqual(peft["r"] as? Int, r)
                XCTAssertEqual((peft["lora_alpha"] as? NSNumber)?.doubleValue, Double(config.scaling) * Double(r))
                XCTAssertEqual(peft["target_modules"] as? [String], ["down_proj"])
                XCTAssertEqual(peft["layers_to_transform"] as? [Int], [layer])
                XCTAssertEqual(peft["task_type"] as? String, "CAUSAL_LM")
                // adapter_model.safetensors: PEFT names and shapes, Elder's values bit for bit.
                let file = try SafetensorsFile(path: folder + "/adapter_model.safetensors")
                let prefix = "base_model.model.model.layers.\(layer).mlp.down_proj."
                XCTAssertEqual(file.names, [prefix + "lora_A.weight", prefix + "lora_B.weight"])
                let a = try file.tensor(prefix + "lora_A.weight"), b = try file.tensor(prefix + "lora_B.weight")
                let sa = try XCTUnwrap(state.tensors[AdapterState.loraA(layer: layer, expert: j)])
                let sb = try XCTUnwrap(state.tensors[AdapterState.loraB(layer: layer, expert: j)])
                XCTAssertEqual(a.shape, [r, f])   // lora_A [r, in]: down_proj reads the FFN width
                XCTAssertEqual(b.shape, [d, r])   // lora_B [out, r]: and writes the model width
                XCTAssertTrue(bitwiseEqual(a.scalars, sa.values), "expert \(layer)-\(j) A")
                XCTAssertTrue(bitwiseEqual(b.scalars, sb.values), "expert \(layer)-\(j) B")
                if sb.values.contains(where: { $0 != 0 }) { trained += 1 }
                if layer == config.layers[0] && j == 0 { try checkSafetensorsLayout(folder + "/adapter_model.safetensors") }
            }
        }
        XCTAssertGreaterThan(trained, 0, "the edits trained some experts")
        XCTAssertEqual(try run.json()["trainedExperts"] as? Int, trained)
        // Routers, bit for bit under Elder's names.
        let routers = try SafetensorsFile(path: out + "/routers.safetensors")
        XCTAssertEqual(Set(routers.names), Set(state.routers.keys))
        for (name, t) in state.routers {
            let read = try routers.tensor(name)
            XCTAssertEqual(read.shape, t.shape)
            XCTAssertTrue(bitwiseEqual(read.scalars, t.values), name)
        }
        // Codebook: every key vector of the version's memory.
        let memory = try MemoryCodec.decode(try store.codebook(at: edits[1].commit))
        let codebook = try SafetensorsFile(path: out + "/codebook.safetensors")
        XCTAssertTrue(bitwiseEqual(try codebook.tensor("centre").scalars, memory.centre))
        XCTAssertTrue(bitwiseEqual(try codebook.tensor("reference_keys").scalars, memory.backgroundKeys.flatMap { $0 }))
        XCTAssertEqual(memory.entries.count, 2)
        for e in memory.entries {
            let keys = try codebook.tensor("edit.\(e.id).keys")
            XCTAssertEqual(keys.shape, [e.keys.count, e.keys[0].count])
            XCTAssertTrue(bitwiseEqual(keys.scalars, e.keys.flatMap { $0 }), e.id)
        }
        let entries = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/codebook.json")))
                                    as? [[String: Any]])
        XCTAssertEqual(entries.map { $0["id"] as? String }, memory.entries.map(\.id))
        XCTAssertEqual(entries.first?["allocation"] as? [[Int]], memory.entries.first?.allocation.experts)
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
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/elder-export.json")))
                                     as? [String: Any])
        XCTAssertEqual((manifest["liveEdits"] as? [[String: Any]])?.count, 1)
        // The folder now exists and is not empty; unknown revisions; no --out; outside a repo.
        XCTAssertFailed(try ElderProcess.run(["export", "--out", out], in: repo), status: 128, containing: "not empty")
        XCTAssertFailed(try ElderProcess.run(["export", "nosuch", "--out", out + "2"], in: repo), status: 128, containing: "unknown revision 'nosuch'")
        XCTAssertEqual(try ElderProcess.run(["export"], in: repo).status, 128)
        XCTAssertFailed(try ElderProcess.run(["export", "--out", out + "3"], in: TinyRepo.folder("elsewhere")),
                        status: 128, containing: "not an Elder knowledge repo")
    }
}
