import ElderEditing
import ElderModel
import ElderStore
import ElderTensor
import Foundation

/// `elder export`: everything one version needs to be re-implemented outside Elder.
///
/// ```
/// DIR/README.md                 the routing rule, precisely enough to re-implement (Shipped/README.md)
/// DIR/elder_route.py            the reference loader: PyTorch + transformers (Shipped/elder_route.py)
/// DIR/elder-export.json         what is where (ExportManifest): the rule's exact settings, the live edits in
///                               memory order with their answer tokens, allocations and siblings
/// DIR/routing.safetensors       centre [W], scale [W] (if standardized), projection [W, W] (the whitening,
///                               lower triangular), reference_keys [n, W], edits.<i>.keys [k, W]
/// DIR/edits/edit-NNNN/          live edit i's LoRAs as one standard PEFT adapter over its layers: at block L
///                               lora_A [k·r, F] = its experts' A stacked, lora_B [D, k·r] = their B side by
///                               side, lora_alpha = scaling · k·r, so the adapter adds scaling · Σ_j B_j A_j v
/// DIR/experts.safetensors       router-top-k routing only (the paper's preset): every trained expert
///                               (molora.L.j.A/B) and DIR/routers.safetensors (router.L.weight/bias)
/// DIR/lora/…                    the single-LoRA baseline as one PEFT adapter
/// DIR/other.safetensors         any other adapter tensor under its Elder name (e.g. ft-l's ftl.L.down)
/// ```
/// Untrained experts are not written: with matched-allocation routing only the live edits' experts can act.
/// Values are the version's rebuilt float32 state, bit for bit.
public enum AdapterExport {
    public static let manifestName = "elder-export.json"
    public static let readmeName = "README.md"
    public static let loaderName = "elder_route.py"
    public static let routingName = "routing.safetensors"

    /// Writes version `commit` into `folder` (created if missing; must be empty) and returns the manifest.
    @discardableResult
    public static func write(_ workspace: Workspace, commit: ObjectID, to folder: String) throws -> ExportManifest {
        let version = try workspace.version(of: commit)
        let editor = try workspace.editor(for: version)
        let created = try prepare(folder)
        do { return try write(workspace, version: version, editor: editor, to: folder) } catch {
            // Nothing half-written stays: the folder is left as it was found.
            let fm = FileManager.default
            if created { try? fm.removeItem(atPath: folder) } else {
                for name in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] { try? fm.removeItem(atPath: folder + "/" + name) }
            }
            throw error
        }
    }

    static func write(_ workspace: Workspace, version: Workspace.Version, editor: any Editor, to folder: String) throws -> ExportManifest {
        let commit = version.commit
        let config = workspace.config
        let configuration = config.editor
        let baseModel = ModelLocator.known.contains { $0.sha256 == config.model.sha256 && $0.name == "smollm2-135m" }
            ? "HuggingFaceTB/SmolLM2-135M-Instruct" : config.model.fileName
        let tokenizer = workspace.model.tokenizer
        let bos = tokenizer.bosTokenID
        var manifest = ExportManifest(
            commit: commit.hex, stateHash: version.stateHash, model: config.model, baseModel: baseModel, editor: configuration,
            tokenizer: .init(addsBOS: bos != nil && tokenizer.encode("").first == bos,
                             stopTokens: workspace.model.stopTokenIDs.sorted()))
        manifest.rule = ExportManifest.Rule(configuration)
        var remaining = version.adapter.tensors
        let memory = editor.memory
        let bodies = try VersionDiff.bodies(workspace.store, at: commit)
        let mixture = editor as? MixtureEditor

        // The deferral's vectors.
        var routing: [String: Tensor] = [:]
        if !memory.centre.isEmpty { routing["centre"] = Tensor(shape: [memory.centre.count], scalars: memory.centre) }
        if !memory.scale.isEmpty { routing["scale"] = Tensor(shape: [memory.scale.count], scalars: memory.scale) }
        if !memory.projection.isEmpty, !memory.centre.isEmpty {
            routing["projection"] = Tensor(shape: [memory.centre.count, memory.centre.count], scalars: memory.projection)
        }
        if let width = memory.backgroundKeys.first?.count {
            routing["reference_keys"] = Tensor(shape: [memory.backgroundKeys.count, width], scalars: memory.backgroundKeys.flatMap { $0 })
        }

        // The live edits, in memory order (the order decides ties), each with its LoRAs as one PEFT adapter.
        let perEdit = configuration.inferenceRouting == .matchedAllocation && isMixture(configuration.method)
        for (i, entry) in memory.entries.enumerated() {
            let name = String(format: "edit-%04d", i)
            var edit = ExportManifest.Edit(id: entry.id, prompt: bodies[entry.id]?.prompt ?? "", target: bodies[entry.id]?.target ?? "",
                                           answerTokens: editor.taughtAnswer(editID: entry.id) ?? [],
                                           allocation: entry.allocation.experts)
            if let width = entry.keys.first?.count {
                edit.keys = "edits.\(i).keys"
                routing[edit.keys!] = Tensor(shape: [entry.keys.count, width], scalars: entry.keys.flatMap { $0 })
            }
            if configuration.siblingMargin == true, let mixture { edit.siblings = mixture.siblings.siblings(of: entry.id).sorted() }
            if case .hamming = configuration.deferral { edit.codes = entry.codes }
            if perEdit {
                try writeEditAdapter(entry.allocation, of: version.adapter, configuration: configuration, baseModel: baseModel,
                                     to: folder + "/edits/" + name)
                edit.adapter = "edits/" + name
            }
            manifest.edits.append(edit)
        }
        if !routing.isEmpty {
            try SafetensorsFile.write(routing, metadata: ["format": "elder-routing"], to: folder + "/" + routingName)
            manifest.routing = .init(path: routingName, tensors: routing.keys.sorted())
        }

        // The mixture's experts: written per edit above; router-top-k routing needs every trained one.
        var experts: [String: Tensor] = [:]
        for layer in configuration.layers where isMixture(configuration.method) {
            for j in 0..<configuration.experts {
                let a = AdapterState.loraA(layer: layer, expert: j), b = AdapterState.loraB(layer: layer, expert: j)
                guard let ta = remaining.removeValue(forKey: a), let tb = remaining.removeValue(forKey: b) else { continue }
                if !perEdit && tb.scalars.contains(where: { $0 != 0 }) { (experts[a], experts[b]) = (ta, tb) }
            }
        }
        if !experts.isEmpty {
            try SafetensorsFile.write(experts, metadata: ["format": "elder-experts"], to: folder + "/experts.safetensors")
            manifest.experts = .init(path: "experts.safetensors", tensors: experts.keys.sorted())
        }
        var routers: [String: Tensor] = [:]
        for layer in configuration.layers {
            for name in [AdapterState.routerWeight(layer: layer), AdapterState.routerBias(layer: layer)] {
                if let t = remaining.removeValue(forKey: name) { routers[name] = t }
            }
        }
        if configuration.inferenceRouting == .routerTopK, !routers.isEmpty {
            try SafetensorsFile.write(routers, metadata: ["format": "elder-routers"], to: folder + "/routers.safetensors")
            manifest.routers = .init(path: "routers.safetensors", tensors: routers.keys.sorted())
        }

        // The single-LoRA baseline: one adapter over its layers.
        var single: [Int: (Tensor, Tensor)] = [:]
        for layer in configuration.layers {
            if let ta = remaining["lora.\(layer).A"], let tb = remaining["lora.\(layer).B"] {
                single[layer] = (ta, tb)
                remaining["lora.\(layer).A"] = nil
                remaining["lora.\(layer).B"] = nil
            }
        }
        if let rank = single.values.first?.0.shape[0] {
            try writePEFT(folder: folder + "/lora", baseModel: baseModel, rank: rank, scaling: configuration.scaling,
                          tensors: single)
            manifest.singleLoRA = "lora"
        }
        if !remaining.isEmpty {
            try SafetensorsFile.write(remaining, metadata: ["format": "elder-tensors"], to: folder + "/other.safetensors")
            manifest.other = .init(path: "other.safetensors", tensors: remaining.keys.sorted())
        }
        if memory.entries.isEmpty {
            manifest.edits = bodies.values.sorted { $0.id < $1.id }
                .map { ExportManifest.Edit(id: $0.id, prompt: $0.prompt, target: $0.target, answerTokens: [], allocation: $0.allocation ?? []) }
        }
        manifest.howToApply = howToApply(configuration, perEdit: perEdit)
        try writeJSON(manifest, to: folder + "/" + manifestName)
        try Data(ShippedFiles.readme(manifest).utf8).write(to: URL(fileURLWithPath: folder + "/" + readmeName))
        try Data(ShippedFiles.loader).write(to: URL(fileURLWithPath: folder + "/" + loaderName))
        return manifest
    }

    /// The folder exists empty afterwards, or an `ExportError` says why not. True when it was created.
    static func prepare(_ folder: String) throws -> Bool {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        let existed = fm.fileExists(atPath: folder, isDirectory: &isFolder)
        if existed, !isFolder.boolValue { throw ExportError.notAFolder(folder) }
        if let contents = try? fm.contentsOfDirectory(atPath: folder), !contents.isEmpty {
            throw ExportError.folderNotEmpty(folder)
        }
        do { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true); return !existed } catch {
            throw ExportError.cannotCreate(folder, reason: (error as NSError).localizedFailureReason ?? "permission denied or a file in the way")
        }
    }

    static func isMixture(_ method: EditorConfiguration.Method) -> Bool { method == .elder || method == .elderPaper }

    /// What to do with the files, in one paragraph (README.md has the rule in full).
    static func howToApply(_ c: EditorConfiguration, perEdit: Bool) -> String {
        if perEdit, case .similarityMargin = c.deferral {
            return "Route each prompt by README.md's rule (routing.safetensors, rule): the query is the mean residual after block "
                + "\(c.query.layer), centred and whitened, matched by cosine against the live edits' keys and the reference keys. "
                + "When it fires on an edit, add that edit's PEFT adapter (edits/edit-NNNN: its LoRAs over the adapted blocks' "
                + "down_proj) from the last prompt token on\(c.stopAfterAnswer != false ? ", until the edit's answerTokens are out" : ""); "
                + "otherwise the output is the base model's. The routers are not used. elder_route.py does exactly this."
        }
        if c.inferenceRouting == .routerTopK {
            return "At each adapted block L, down_proj's output gains Σ_j scaling · w_j · (B_j A_j v) over the top-k experts of "
                + "router L (routers.safetensors, softmax of weight·q + bias; experts.safetensors), and nothing when the deferral "
                + "(editor.deferral; the edits' codes) does not fire. elder_route.py does not implement this routing."
        }
        return "The adapter of a baseline method (editor.method): lora/ is a PEFT adapter applied to every token; other tensors "
            + "are in other.safetensors under Elder's names. elder_route.py does not implement these methods."
    }

    /// One edit's experts as one PEFT LoRA over the adapted blocks: per block, A stacked and B side by side.
    static func writeEditAdapter(_ allocation: Allocation, of adapter: AdapterState, configuration c: EditorConfiguration,
                                 baseModel: String, to folder: String) throws {
        var tensors: [Int: (Tensor, Tensor)] = [:]
        for (l, layer) in c.layers.enumerated() where l < allocation.experts.count {
            var aRows: [Float] = [], bColumns: [[Float]] = []
            var width = 0, outputs = 0
            for j in allocation.experts[l] {
                guard let a = adapter[AdapterState.loraA(layer: layer, expert: j)],
                      let b = adapter[AdapterState.loraB(layer: layer, expert: j)] else { continue }
                aRows += a.scalars
                width = a.shape[1]
                outputs = b.shape[0]
                bColumns.append(b.scalars)
            }
            let rank = aRows.count / max(width, 1)
            guard rank > 0 else { continue }
            // B_j is [D, r] row-major: row d of the stacked B is row d of each B_j in turn.
            var b = [Float]()
            b.reserveCapacity(outputs * rank)
            for d in 0..<outputs {
                for column in bColumns {
                    let r = column.count / outputs
                    b += column[(d * r)..<((d + 1) * r)]
                }
            }
            tensors[layer] = (Tensor(shape: [rank, width], scalars: aRows), Tensor(shape: [outputs, rank], scalars: b))
        }
        guard let rank = tensors.values.first?.0.shape[0] else { return }
        try writePEFT(folder: folder, baseModel: baseModel, rank: rank, scaling: c.scaling, tensors: tensors)
    }

    /// The PEFT module path of block `layer`'s down projection.
    public static func module(_ layer: Int) -> String { "model.layers.\(layer).mlp.down_proj" }

    /// PEFT's tensor names for block `layer`'s down_proj LoRA.
    public static func peftNames(layer: Int) -> (a: String, b: String) {
        ("base_model.model.\(module(layer)).lora_A.weight", "base_model.model.\(module(layer)).lora_B.weight")
    }

    static func alpha(_ scaling: Float, _ rank: Int) -> Double { Double(scaling) * Double(rank) }

    /// A PEFT LoRA adapter on `down_proj` of the given blocks, all of one rank.
    static func writePEFT(folder: String, baseModel: String, rank: Int, scaling: Float, tensors: [Int: (Tensor, Tensor)]) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var named: [String: Tensor] = [:]
        for (layer, (a, b)) in tensors {
            let names = peftNames(layer: layer)
            named[names.a] = a
            named[names.b] = b
        }
        try SafetensorsFile.write(named, metadata: ["format": "pt"], to: folder + "/adapter_model.safetensors")
        let alphaValue = alpha(scaling, rank)
        let config: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": baseModel, "revision": NSNull(),
            "r": rank, "lora_alpha": alphaValue.rounded() == alphaValue ? Int(alphaValue) as Any : alphaValue as Any,
            "lora_dropout": 0.0, "target_modules": ["down_proj"], "layers_to_transform": tensors.keys.sorted(), "layers_pattern": "layers",
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
