import ElderEditing
import ElderModel
import ElderStore
import ElderTensor
import Foundation

/// `elder export`: one version's adapter written so that other tools can read it.
///
/// ```
/// DIR/elder-export.json                 what is where (ExportManifest), the editor configuration, the live edits
/// DIR/expert-L-j/adapter_config.json    LoRA j of block L's down_proj as a standard PEFT LoRA adapter:
/// DIR/expert-L-j/adapter_model.safetensors
///      base_model.model.model.layers.L.mlp.down_proj.lora_A.weight [r, F]
///      base_model.model.model.layers.L.mlp.down_proj.lora_B.weight [D, r]
///      with r, lora_alpha = scaling · r (PEFT's scaling is lora_alpha / r), target_modules ["down_proj"],
///      layers_to_transform [L]
/// DIR/lora/…                            the single-LoRA baseline (`lora.L.A/B`), one PEFT adapter over its layers
/// DIR/routers.safetensors               router.L.weight [N, Q], router.L.bias [N], as Elder names them
/// DIR/codebook.safetensors              centre [W], scale [W], reference_keys [n, W], edit.<id>.keys [k, W]
/// DIR/codebook.json                     the live edits' allocations, codes and prompt lengths, in edit order
/// DIR/other.safetensors                 any other adapter tensor under its Elder name (e.g. ft-l's ftl.L.down)
/// ```
/// Values are the version's rebuilt float32 state, bit for bit. A single expert loaded alone is not the
/// ELDER model: Elder adds Σ_j scaling · w_j · B_j A_j v over the k experts its routing picks for an input
/// (`editor.inferenceRouting`, the deferral in `editor.deferral`), and nothing when the deferral does not fire.
public enum AdapterExport {
    public static let manifestName = "elder-export.json"

    /// Writes the adapter of `commit` into `folder` (created if missing; must be empty) and returns the manifest.
    @discardableResult
    public static func write(_ store: KnowledgeStore, commit: ObjectID, to folder: String) throws -> ExportManifest {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: folder, isDirectory: &isFolder), !isFolder.boolValue { throw ExportError.notAFolder(folder) }
        if let contents = try? fm.contentsOfDirectory(atPath: folder), !contents.isEmpty {
            throw ExportError.folderNotEmpty(folder)
        }
        do { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw ExportError.cannotCreate(folder, reason: (error as NSError).localizedFailureReason ?? "permission denied or a file in the way")
        }
        let config = try WorkspaceConfig.decode(try store.workspaceConfigJSON(at: commit))
        if store.schema == nil { store.schema = config.adapterShapes() }
        let state = try store.state(of: commit)
        let editor = config.editor
        let baseModel = ModelLocator.known.contains { $0.sha256 == config.model.sha256 && $0.name == "smollm2-135m" }
            ? "HuggingFaceTB/SmolLM2-135M-Instruct" : config.model.fileName
        var manifest = ExportManifest(commit: commit.hex, stateHash: state.sha256, model: config.model, baseModel: baseModel,
                                      editor: editor)
        var remaining = state.tensors

        // The mixture's experts: one PEFT adapter each.
        for layer in editor.layers {
            for j in 0..<editor.experts {
                let a = AdapterState.loraA(layer: layer, expert: j), b = AdapterState.loraB(layer: layer, expert: j)
                guard let ta = remaining.removeValue(forKey: a), let tb = remaining.removeValue(forKey: b) else { continue }
                let name = "expert-\(layer)-\(j)"
                try writePEFT(folder: folder + "/" + name, baseModel: baseModel, rank: ta.shape[0], scaling: editor.scaling,
                              layers: [layer], tensors: [layer: (ta, tb)])
                manifest.experts.append(.init(name: name, layer: layer, expert: j, path: name, module: module(layer),
                                              r: ta.shape[0], loraAlpha: alpha(editor.scaling, ta.shape[0]),
                                              trained: tb.values.contains { $0 != 0 }, sourceA: a, sourceB: b))
            }
        }
        // The single-LoRA baseline: one adapter over its layers.
        var single: [Int: (StoredTensor, StoredTensor)] = [:]
        for layer in editor.layers {
            if let ta = remaining["lora.\(layer).A"], let tb = remaining["lora.\(layer).B"] {
                single[layer] = (ta, tb)
                remaining["lora.\(layer).A"] = nil
                remaining["lora.\(layer).B"] = nil
            }
        }
        if let rank = single.values.first?.0.shape[0] {
            try writePEFT(folder: folder + "/lora", baseModel: baseModel, rank: rank, scaling: editor.scaling,
                          layers: single.keys.sorted(), tensors: single)
            manifest.singleLoRA = "lora"
        }
        if !state.routers.isEmpty {
            try SafetensorsFile.write(state.routers.mapValues(tensor), metadata: ["format": "elder-routers"],
                                      to: folder + "/routers.safetensors")
            manifest.routers = .init(path: "routers.safetensors", tensors: state.routers.keys.sorted())
        }
        if !remaining.isEmpty {
            try SafetensorsFile.write(remaining.mapValues(tensor), metadata: ["format": "elder-tensors"], to: folder + "/other.safetensors")
            manifest.other = .init(path: "other.safetensors", tensors: remaining.keys.sorted())
        }
        // The codebook (absent only in the root commit).
        if let files = try? store.codebook(at: commit), !files.isEmpty {
            let memory: EditMemory
            do { memory = try MemoryCodec.decode(files, bounds: MemoryBounds(configuration: editor, model: config.model.architecture)) }
            catch let error as MemoryCodecError { throw WorkspaceError.invalidMemory("commit \(commit.short): \(error.reason)") }
            var tensors: [String: Tensor] = [:]
            if !memory.centre.isEmpty { tensors["centre"] = Tensor(shape: [memory.centre.count], scalars: memory.centre) }
            if !memory.scale.isEmpty { tensors["scale"] = Tensor(shape: [memory.scale.count], scalars: memory.scale) }
            if let width = memory.backgroundKeys.first?.count {
                tensors["reference_keys"] = Tensor(shape: [memory.backgroundKeys.count, width], scalars: memory.backgroundKeys.flatMap { $0 })
            }
            for e in memory.entries {
                guard let width = e.keys.first?.count else { continue }
                tensors["edit.\(e.id).keys"] = Tensor(shape: [e.keys.count, width], scalars: e.keys.flatMap { $0 })
            }
            try SafetensorsFile.write(tensors, metadata: ["format": "elder-codebook"], to: folder + "/codebook.safetensors")
            let entries = memory.entries.map {
                CodebookEntry(id: $0.id, allocation: $0.allocation.experts, codes: $0.codes, keyCount: $0.keys.count,
                              promptLengths: $0.promptLengths)
            }
            try writeJSON(entries, to: folder + "/codebook.json")
            manifest.codebook = .init(path: "codebook.safetensors", entries: "codebook.json", tensors: tensors.keys.sorted())
        }
        manifest.liveEdits = try VersionDiff.bodies(store, at: commit).values
            .sorted { $0.id < $1.id }
            .map { ExportManifest.Edit(id: $0.id, prompt: $0.prompt, target: $0.target, allocation: $0.allocation) }
        try writeJSON(manifest, to: folder + "/" + manifestName)
        return manifest
    }

    /// The PEFT module path of block `layer`'s down projection.
    public static func module(_ layer: Int) -> String { "model.layers.\(layer).mlp.down_proj" }

    /// PEFT's tensor names for block `layer`'s down_proj LoRA.
    public static func peftNames(layer: Int) -> (a: String, b: String) {
        ("base_model.model.\(module(layer)).lora_A.weight", "base_model.model.\(module(layer)).lora_B.weight")
    }

    static func alpha(_ scaling: Float, _ rank: Int) -> Double { Double(scaling) * Double(rank) }

    static func tensor(_ t: StoredTensor) -> Tensor { Tensor(shape: t.shape, scalars: t.values) }

    static func writePEFT(folder: String, baseModel: String, rank: Int, scaling: Float, layers: [Int],
                          tensors: [Int: (StoredTensor, StoredTensor)]) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var named: [String: Tensor] = [:]
        for (layer, (a, b)) in tensors {
            let names = peftNames(layer: layer)
            named[names.a] = tensor(a)
            named[names.b] = tensor(b)
        }
        try SafetensorsFile.write(named, metadata: ["format": "pt"], to: folder + "/adapter_model.safetensors")
        let alphaValue = alpha(scaling, rank)
        let config: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": baseModel, "revision": NSNull(),
            "r": rank, "lora_alpha": alphaValue.rounded() == alphaValue ? Int(alphaValue) as Any : alphaValue as Any,
            "lora_dropout": 0.0, "target_modules": ["down_proj"], "layers_to_transform": layers, "layers_pattern": "layers",
            "bias": "none", "fan_in_fan_out": false, "inference_mode": true, "init_lora_weights": true,
            "modules_to_save": NSNull(), "use_rslora": false, "use_dora": false,
        ]
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try data.write(to: URL(fileURLWithPath: folder + "/adapter_config.json"))
    }

    static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(value).write(to: URL(fileURLWithPath: path))
    }
}

/// `elder-export.json`: what an export folder holds and how the pieces fit together.
public struct ExportManifest: Codable, Sendable {
    public struct Expert: Codable, Sendable, Equatable {
        public var name: String
        public var layer: Int
        public var expert: Int
        /// The PEFT adapter folder, relative to the export folder.
        public var path: String
        /// The module it adapts (HF naming).
        public var module: String
        public var r: Int
        public var loraAlpha: Double
        /// False when B is all zeros (the LoRA never trained: it changes nothing).
        public var trained: Bool
        /// Elder's names of the two tensors.
        public var sourceA: String
        public var sourceB: String
    }
    public struct TensorFile: Codable, Sendable, Equatable {
        public var path: String
        public var tensors: [String]
    }
    public struct Codebook: Codable, Sendable, Equatable {
        public var path: String
        public var entries: String
        public var tensors: [String]
    }
    public struct Edit: Codable, Sendable, Equatable {
        public var id: String
        public var prompt: String
        public var target: String
        public var allocation: [[Int]]?
    }

    public var format = "elder-export"
    public var version = 1
    public var commit: String
    public var stateHash: String
    public var model: ModelIdentity
    /// `base_model_name_or_path` in the PEFT configs: the Hugging Face id of a known model, else the file name.
    public var baseModel: String
    public var editor: EditorConfiguration
    public var experts: [Expert] = []
    public var singleLoRA: String?
    public var routers: TensorFile?
    public var codebook: Codebook?
    public var other: TensorFile?
    public var liveEdits: [Edit] = []
    public var howToApply = "At each adapted block L, down_proj's output gains Σ_j scaling · w_j · (B_j A_j v) over the k experts "
        + "the routing picks for the input (w_j its router weight; see editor.inferenceRouting), and nothing when the deferral "
        + "(editor.deferral, codebook) does not fire. Each expert alone is a standard PEFT LoRA with lora_alpha = scaling · r."

    init(commit: String, stateHash: String, model: ModelIdentity, baseModel: String, editor: EditorConfiguration) {
        self.commit = commit
        self.stateHash = stateHash
        self.model = model
        self.baseModel = baseModel
        self.editor = editor
    }
}

/// One live edit in `codebook.json`.
struct CodebookEntry: Codable {
    var id: String
    var allocation: [[Int]]
    var codes: [AllocationCode]
    var keyCount: Int
    var promptLengths: [Int]
}

/// Why an export could not be written.
public enum ExportError: Error, CustomStringConvertible, Sendable, Equatable {
    case folderNotEmpty(String)
    case notAFolder(String)
    case cannotCreate(String, reason: String)

    public var description: String {
        switch self {
        case let .folderNotEmpty(path): return "\(path) exists and is not empty: export into a new folder"
        case let .notAFolder(path): return "\(path) is a file: --out names a folder to create (e.g. \(path).d)"
        case let .cannotCreate(path, reason): return "cannot create the folder \(path) (\(reason)): give a folder you can write"
        }
    }
}
