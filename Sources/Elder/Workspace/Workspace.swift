import ElderEditing
import ElderModel
import ElderRecords
import ElderStore
import ElderTensor
import Foundation

/// A knowledge repo opened with its base model: the object every `elder` command works through.
///
/// It joins the store (named tensors and JSON in git), the model and the editor: it rebuilds the editor at
/// any revision, trains and commits edits, answers prompts, reverts edits and lists history. Not
/// thread-safe (one instance per thread); several processes may share a repo (the store serializes commits).
public final class Workspace {
    public let store: KnowledgeStore
    public let model: LoadedModel
    public let config: WorkspaceConfig
    public var configuration: EditorConfiguration { config.editor }
    public var path: String { store.repository.gitDirectory }

    /// Rebuilt (adapter, memory) by commit id, most recent last (small LRU: states are ~2 MB each).
    private var rebuilt: [(id: ObjectID, version: Version)] = []
    private let rebuiltCapacity = 4
    /// The base model's answers to probes (`baseAnswer`; nil until the repo's base-answer file is read),
    /// and the editor at the repo's base version.
    var baseAnswers: [String: (text: String, tokens: [Int])]?
    var baseEditor: (any Editor)?
    /// The probe gate's verdicts on the last committed state (`rememberProbeVerdicts`).
    var probeVerdicts: (stateHash: String, probes: [Probe], passed: [Bool])?

    private init(store: KnowledgeStore, model: LoadedModel, config: WorkspaceConfig) {
        self.store = store
        self.model = model
        self.config = config
    }

    // MARK: create and open

    /// Creates a knowledge repo at `path` (a bare git repository, FORMAT.md) bound to `model` (a known
    /// name or a path), whose root commit holds `elder.json` and the editor's initial state.
    public static func initialize(at path: String, model nameOrPath: String, configuration: EditorConfiguration? = nil,
                                  method: EditorConfiguration.Method = .elder,
                                  storeOptions: StoreOptions = StoreOptions()) throws -> Workspace {
        try initialize(at: path, model: try LoadedModel.load(nameOrPath), configuration: configuration, method: method,
                       storeOptions: storeOptions)
    }

    /// As above, with a model already loaded. `configuration` nil means the preset of `method`
    /// (`.elder`: `EditorConfiguration.elderDefault`).
    public static func initialize(at path: String, model: LoadedModel, configuration: EditorConfiguration? = nil,
                                  method: EditorConfiguration.Method = .elder,
                                  storeOptions: StoreOptions = StoreOptions()) throws -> Workspace {
        let blocks = model.configuration.layerCount
        let editorConfiguration = configuration ?? .preset(method, blockCount: blocks)
        try editorConfiguration.validate(blockCount: blocks)
        if editorConfiguration.method == .grace {
            throw WorkspaceError.methodNotStorable(method: "grace", reason: "its key codebook grows by a row per edit, "
                + "and format 1 cannot change a tensor's shape")
        }
        let config = WorkspaceConfig(model: try ModelIdentity.of(model), editor: editorConfiguration)
        let editor = try makeEditor(model: model, configuration: editorConfiguration)
        var storeOptions = storeOptions
        var generatedNames = Set<String>()
        if storeOptions.generatedRoot == nil, let generated = Self.generatedLoRAs(editorConfiguration, adapter: editor.adapter, grid: storeOptions.grid) {
            // The LoRAs' random A matrices come from the store's generator, so the root commit holds a seed
            // instead of them (27 MB → ~2 MB for SmolLM2 with 128 LoRAs per layer).
            storeOptions.generatedRoot = generated
            for (name, t) in try generated.state().floats(on: storeOptions.grid).tensors {
                editor.adapter[name] = Tensor(shape: t.shape, scalars: t.values)
                generatedNames.insert(name)
            }
        }
        let initial = StateConversion.stored(editor.adapter, only: editor.adapter.names.filter { !generatedNames.contains($0) })
        let (store, _) = try KnowledgeStore.create(at: path, options: storeOptions, workspaceConfigJSON: try config.encoded(),
                                                   initial: initial, message: "Initialize Elder knowledge repo (\(editorConfiguration.method.rawValue))")
        // `KnowledgeStore.create` takes no codebook, so the memory (query centre, reference keys) goes into a
        // second commit with no tensor change: every version from it on has a codebook.
        // Where this machine keeps the model: repo-local git config, not history (a clone elsewhere finds
        // the model in its own cache by file name).
        try store.repository.setConfigValue(Self.modelPathKey, URL(fileURLWithPath: model.path).standardizedFileURL.path)
        let workspace = Workspace(store: store, model: model, config: config)
        guard let root = try store.tip(of: "main") else { throw WorkspaceError.noSuchBranch("main") }
        // The root's state as every rebuild returns it (on the grid), with the editor's memory.
        let state = try makeEditor(model: model, configuration: editorConfiguration,
                                   adapter: StateConversion.adapter(try store.state(of: root)), memory: editor.memory)
        let change = KnowledgeChange(branch: "main", parents: [root], state: state, tensors: StoredState(),
                                     message: "Record the editor's reference memory (query centre and reference keys)")
        try workspace.land(change, verify: false, repair: false)
        return workspace
    }

    /// The generated form of a mixture's initial LoRA A matrices (shapes as in `adapter`): uniform in ±1/√r
    /// like the editor's own initialization (`MixtureEditor`), on the grid, from the configuration's seed.
    /// Nil for other methods.
    static func generatedLoRAs(_ c: EditorConfiguration, adapter: AdapterState, grid: Grid) -> GeneratedRoot? {
        guard c.method == .elder || c.method == .elderPaper else { return nil }
        let bound = grid.nearestUnits(1 / Double(c.rank).squareRoot())
        var groups: [GeneratedRoot.Group] = []
        for layer in c.layers {
            for j in 0..<c.experts {
                let name = AdapterState.loraA(layer: layer, expert: j)
                guard let shape = adapter[name]?.shape else { continue }
                if let i = groups.firstIndex(where: { $0.shape == shape }) { groups[i].names.append(name) } else {
                    groups.append(GeneratedRoot.Group(shape: shape, bound: bound, names: [name]))
                }
            }
        }
        return groups.isEmpty ? nil : GeneratedRoot(seed: c.seed ^ 0xE1DE_A000, groups: groups)
    }

    /// The repo-local git config key holding this machine's path to the repo's model file.
    public static let modelPathKey = "elder.model"

    /// Opens the knowledge repo at `path` with the model it records: the file at the path `init` saved in
    /// the repo's local config (`elder.model`), else the model cache's file of that name. Fails with
    /// `modelNotFound` if there is none, `modelMismatch` if the file found is not the recorded one.
    /// `storeCacheCapacity`: the states the store keeps for later rebuilds (`KnowledgeStore.open`).
    public static func open(at path: String, storeCacheCapacity: Int = 8) throws -> Workspace {
        let store = try KnowledgeStore.open(at: path, cacheCapacity: storeCacheCapacity)
        let config = try WorkspaceConfig.decode(store.workspaceConfigJSON)
        var candidates: [String] = []
        if let local = try store.repository.configValue(modelPathKey), !local.isEmpty { candidates.append(local) }
        candidates.append(ModelLocator.defaultModelsFolder() + "/" + config.model.fileName)
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw WorkspaceError.modelNotFound(repo: path, fileName: config.model.fileName, sha256: config.model.sha256)
        }
        return try open(at: path, model: try LoadedModel.load(path: found), store: store, config: config)
    }

    /// Opens the knowledge repo at `path` with `model` (a known name or a path).
    public static func open(at path: String, model nameOrPath: String, storeCacheCapacity: Int = 8) throws -> Workspace {
        try open(at: path, model: try LoadedModel.load(nameOrPath), storeCacheCapacity: storeCacheCapacity)
    }

    /// Opens the knowledge repo at `path` with a loaded model, which must be the repo's (same SHA-256).
    /// `storeCacheCapacity`: the states the store keeps for later rebuilds (`KnowledgeStore.open`).
    public static func open(at path: String, model: LoadedModel, storeCacheCapacity: Int = 8) throws -> Workspace {
        let store = try KnowledgeStore.open(at: path, cacheCapacity: storeCacheCapacity)
        return try open(at: path, model: model, store: store, config: try WorkspaceConfig.decode(store.workspaceConfigJSON))
    }

    private static func open(at path: String, model: LoadedModel, store: KnowledgeStore, config: WorkspaceConfig) throws -> Workspace {
        let sha = try ModelHashes.sha256(path: model.path)
        guard sha == config.model.sha256 else {
            throw WorkspaceError.modelMismatch(repo: path, expectedFile: config.model.fileName, expectedSHA256: config.model.sha256,
                                               givenPath: model.path, givenSHA256: sha)
        }
        try config.editor.validate(blockCount: model.configuration.layerCount)
        store.schema = config.adapterShapes(model: model.configuration)
        return Workspace(store: store, model: model, config: config)
    }

    /// Opens the knowledge repo's store alone (for commands that need no model), expecting the tensors its
    /// `elder.json` describes when that section is valid (else the store's read limits alone bound a version).
    public static func openStore(at path: String) throws -> KnowledgeStore {
        let store = try KnowledgeStore.open(at: path)
        store.schema = (try? WorkspaceConfig.decode(store.workspaceConfigJSON))?.adapterShapes()
        return store
    }

    /// What this repo's editor can hold in its memory (a codebook read from the repo is checked against it).
    public var memoryBounds: MemoryBounds { MemoryBounds(configuration: configuration, model: model.configuration) }

    // MARK: rebuilding versions

    /// One version's editor state: the adapter tensors and the edit memory.
    public struct Version {
        public var commit: ObjectID
        public var adapter: AdapterState
        public var memory: EditMemory
        public var stateHash: String
    }

    /// The commit a revision names (commit id, branch, tag, `HEAD~n`, …), or `unknownRevision`
    /// (`RepoHistory.resolve`, the one resolver).
    public func resolve(_ revision: String) throws -> ObjectID {
        try history.resolve(revision)
    }

    /// The editor state at a revision, rebuilt exactly from the repo (cached by commit id).
    public func version(at revision: String) throws -> Version {
        try version(of: try resolve(revision))
    }

    /// Remembers a version the workspace just committed (its state equals what a rebuild returns).
    func remember(_ v: Version) {
        rebuilt.removeAll { $0.id == v.commit }
        rebuilt.append((v.commit, v))
        if rebuilt.count > rebuiltCapacity { rebuilt.removeFirst() }
    }

    public func version(of commit: ObjectID) throws -> Version {
        if let i = rebuilt.firstIndex(where: { $0.id == commit }) {
            let hit = rebuilt.remove(at: i)
            rebuilt.append(hit)
            return hit.version
        }
        let v = try rebuildVersion(of: commit)
        rebuilt.append((commit, v))
        if rebuilt.count > rebuiltCapacity { rebuilt.removeFirst() }
        return v
    }

    /// A version rebuilt from the repo and not kept by the workspace (for callers that keep versions
    /// themselves, such as a server with its own memory bound).
    public func rebuildVersion(of commit: ObjectID) throws -> Version {
        let state = try store.state(of: commit)
        let memory: EditMemory
        do { memory = try MemoryCodec.decode(try store.codebook(at: commit), bounds: memoryBounds) } catch let error as MemoryCodecError {
            throw WorkspaceError.invalidMemory("commit \(commit.short): \(error.reason)")
        }
        return Version(commit: commit, adapter: StateConversion.adapter(state), memory: memory, stateHash: state.sha256)
    }

    /// A fresh editor over a version's state (editing it does not touch the cache).
    public func editor(for version: Version) throws -> any Editor {
        try makeEditor(model: model, configuration: configuration, adapter: version.adapter, memory: version.memory)
    }

    /// The tip of a branch, or `noSuchBranch`.
    func tip(of branch: String) throws -> ObjectID {
        guard let id = try store.tip(of: branch) else { throw WorkspaceError.noSuchBranch(branch) }
        return id
    }

    /// The SHA-256 of a revision's adapter state as rebuilt now (FORMAT.md "State hash").
    public func stateHash(at revision: String) throws -> String {
        try store.state(of: try resolve(revision)).sha256
    }
}
