import Foundation

/// The store's settings, written once into `elder.json` (key `store`) when a repo is created.
public struct StoreOptions: Sendable, Equatable, Codable {
    /// Grid unit 2^gridLog2Step; the default 2^-20 (≈ 9.5e-7) keeps values within ±16.
    public var gridLog2Step: Int
    /// A keyframe every this many first-parent commits (depth % interval == 0); with `keyframeReplayRatio`,
    /// the longest distance between keyframes.
    public var keyframeInterval: Int
    /// Adaptive keyframes (KeyframePolicy): one when the delta bytes since the last keyframe reach this
    /// ratio × that keyframe's sum bytes. nil: the fixed interval (repos made before it).
    public var keyframeReplayRatio: Double?
    /// Quantization of updates by `compact` (see `CompactionOptions`).
    public var compaction: CompactionOptions
    /// zstd level of tensor blobs (with a minimum match of 7 bytes; see ZstdContext).
    public var zstdLevel: Int
    /// Root tensors regenerated from a seed rather than stored (nil: the root stores every tensor).
    public var generatedRoot: GeneratedRoot?
    /// How keyframe sums are packed; nil (repos of formats 1 and 2) is `.onePack`.
    public var keyframeSums: KeyframeSumLayout?

    public init(gridLog2Step: Int = -20, keyframeInterval: Int = 256, keyframeReplayRatio: Double? = 1,
                compaction: CompactionOptions = CompactionOptions(), zstdLevel: Int = 1, generatedRoot: GeneratedRoot? = nil,
                keyframeSums: KeyframeSumLayout? = .perGroup) {
        self.gridLog2Step = gridLog2Step
        self.keyframeInterval = keyframeInterval
        self.keyframeReplayRatio = keyframeReplayRatio
        self.compaction = compaction
        self.zstdLevel = zstdLevel
        self.generatedRoot = generatedRoot
        self.keyframeSums = keyframeSums
    }

    public var grid: Grid { Grid(log2Step: gridLog2Step) }

    /// Whether keyframe sums are written one pack per tensor group (format 3).
    var groupsKeyframeSums: Bool { keyframeSums == .perGroup }

    func validate() throws {
        guard (-40...4).contains(gridLog2Step) else { throw StoreError.invalidArgument("gridLog2Step \(gridLog2Step) is outside −40…4") }
        guard (1...100_000).contains(keyframeInterval) else { throw StoreError.invalidArgument("keyframeInterval must be 1…100000") }
        if let r = keyframeReplayRatio {
            guard r.isFinite, r > 0, r <= 1_000 else { throw StoreError.invalidArgument("keyframeReplayRatio must be in (0, 1000]") }
        }
        guard compaction.stepScale >= 0, compaction.stepScale <= 64 else { throw StoreError.invalidArgument("stepScale must be 0…64") }
        guard (1...19).contains(zstdLevel) else { throw StoreError.invalidArgument("zstdLevel must be 1…19") }
        try generatedRoot?.validate()
    }
}

/// How a keyframe's sum (state − root) is packed. One pack rewrites every tensor that ever changed at
/// each keyframe, so keyframes grew with the number of LoRAs an adapter has used; one pack per tensor
/// group (a LoRA's A and B, a layer's router) lets git share the packs of groups no commit since the
/// previous keyframe touched, so a keyframe costs about what changed since the last one.
public enum KeyframeSumLayout: String, Sendable, Codable {
    case onePack = "one-pack"
    case perGroup = "per-group"
}

/// Paths, limits and trailer keys of knowledge-repo formats 1 to 3 (FORMAT.md is the reference).
public enum RepoFormat {
    static let version = 1
    static let elderJSON = "elder.json"
    static let editsDir = "edits"
    static let deltaDir = "delta"
    static let routerDir = "router"
    static let codebookDir = "codebook"
    static let keyframeDir = "keyframe"
    static let keyframeMeta = "meta.json"
    static let keyframeRoot = "root"
    static let keyframeSum = "sum"
    static let adapterGroup = "adapter"
    static let routerGroup = "router"

    static let trailerFormat = "Elder-Format"
    static let trailerDepth = "Elder-Depth"
    static let trailerState = "Elder-State"
    static let trailerEdit = "Elder-Edit"
    static let statePrefix = "sha256:"

    /// The largest JSON blob read from a repo (edit records, `elder.json`, keyframe meta).
    public static let maxJSONBytes = 1 << 20
    /// All of a commit's codebook files together (the per-edit layout takes ~5 KB per live edit: ~100,000 edits).
    static let maxCodebookBytes = 1 << 29
    static let maxEdits = 1_000_000
    /// A tensor blob never exceeds its raw size by more than this (header + zstd framing).
    static func maxTensorBlobBytes() -> Int { TensorCodec.maxElements * 4 + (1 << 16) }

    /// `elder.json`: format version, store options and the workspace's own configuration object.
    static func elderJSON(options: StoreOptions, workspace: [String: Any]) throws -> [UInt8] {
        let store = try JSONSerialization.jsonObject(with: JSONEncoder().encode(options))
        let object: [String: Any] = ["format": elderJSONFormat(options), "store": store, "workspace": workspace]
        var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        data.append(0x0a)
        return Array(data)
    }

    static func parseElderJSON(_ bytes: [UInt8]) throws -> (options: StoreOptions, workspace: [String: Any]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw StoreError.corrupt(what: elderJSON, reason: "not a JSON object")
        }
        guard let format = object["format"] as? Int else { throw StoreError.corrupt(what: elderJSON, reason: "no format") }
        guard (version...groupedKeyframeFormat).contains(format) else { throw StoreError.unsupportedFormat(format) }
        guard let store = object["store"] else { throw StoreError.corrupt(what: elderJSON, reason: "no store section") }
        let options: StoreOptions
        do {
            options = try JSONDecoder().decode(StoreOptions.self, from: JSONSerialization.data(withJSONObject: store))
        } catch {
            throw StoreError.corrupt(what: elderJSON, reason: "store section: \(error)")
        }
        try options.validate()
        guard format == elderJSONFormat(options) else {
            throw StoreError.corrupt(what: elderJSON, reason: "format \(format) does not match its store section (generatedRoot, keyframeSums)")
        }
        return (options, object["workspace"] as? [String: Any] ?? [:])
    }

    /// `elder.json`'s format: 2 is format 1 with generated root tensors, so a reader that cannot regenerate
    /// them refuses the repo instead of rebuilding a wrong state. Commits keep `Elder-Format: 1`.
    static let generatedRootFormat = 2
    /// Format 3 adds keyframe sums packed per tensor group (`keyframeSums: per-group`), with or without
    /// generated root tensors; a reader of formats 1 and 2 would not find the sum's packs.
    static let groupedKeyframeFormat = 3

    static func elderJSONFormat(_ options: StoreOptions) -> Int {
        if options.groupsKeyframeSums { return groupedKeyframeFormat }
        return options.generatedRoot == nil ? version : generatedRootFormat
    }
}

/// What ElderStore reads from an Elder commit: its first-parent depth and recorded state hash.
public struct CommitInfo: Sendable, Equatable {
    public let id: ObjectID
    public let parents: [ObjectID]
    public let depth: Int
    public let stateHash: String
    public let editID: String?
    public let message: String
    public let trailers: [String: String]
}

/// The keyframe a commit's tree carries: its depth and the trees of the root state and the sum.
struct KeyframeRef: Equatable {
    let depth: Int
    let root: ObjectID
    let sum: ObjectID?
}
