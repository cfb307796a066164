import Crypto
import Foundation

/// Reading and writing the trees of format version 1: flat tensor folders, adapter/router group
/// folders, edits and codebook. Every name read from a repo is validated; every blob size is bounded.
extension KnowledgeStore {
    // MARK: tensors

    static let adapterPack = "adapter.bin"
    static let routerPack = "router.bin"

    /// Writes a tensor pack blob; nil when there are no tensors.
    func writePack(_ tensors: [String: GridTensor], bytes: inout Int) throws -> ObjectID? {
        guard !tensors.isEmpty else { return nil }
        let blob = try TensorCodec.encode(tensors, level: Int32(options.zstdLevel), zstd: zstd)
        bytes += blob.count
        return try repository.writeBlob(blob)
    }

    /// A tree holding one pack file `name`; nil when there are no tensors.
    func writePackTree(_ tensors: [String: GridTensor], name: String, bytes: inout Int) throws -> ObjectID? {
        guard let blob = try writePack(tensors, bytes: &bytes) else { return nil }
        let builder = try TreeBuilder(repository: repository)
        try builder.insertBlob(name, blob)
        return try builder.write()
    }

    /// A tree with `adapter.bin` and `router.bin` packs (keyframe parts); nil when both are empty.
    func writeGroupTree(_ state: GridState, bytes: inout Int) throws -> ObjectID? {
        let adapter = try writePack(state.tensors, bytes: &bytes)
        let router = try writePack(state.routers, bytes: &bytes)
        guard adapter != nil || router != nil else { return nil }
        let builder = try TreeBuilder(repository: repository)
        if let adapter { try builder.insertBlob(Self.adapterPack, adapter) }
        if let router { try builder.insertBlob(Self.routerPack, router) }
        return try builder.write()
    }

    /// A budget for reading one state under the store's limits and schema.
    func newBudget() -> StateBudget { StateBudget(limits: limits, schema: schema) }

    /// Decodes a pack blob, from the blob cache when it was read before (blobs are immutable), after its
    /// header's tensors were admitted to `budget`: nothing larger than the budget allows is decompressed.
    func readPack(_ blob: ObjectID, what: String, budget: inout StateBudget) throws -> [String: GridTensor] {
        if let hit = blobCache[blob] {
            try budget.admit(StateHash.sortedNames(hit.keys).map { ($0, hit[$0]!.shape) }, what: what)
            return hit
        }
        let size = try repository.blobSize(blob)
        guard size <= budget.maxPackBytes else {
            throw StoreError.overLimit(what: "\(what) (\(blob.short))", limit: "elder.maxStateValues",
                                       declared: size / 4, allowed: budget.maxPackBytes / 4)
        }
        let bytes = try repository.readBlob(blob, maxBytes: budget.maxPackBytes)
        let header = try TensorCodec.header(bytes, what: what)
        try budget.admit(header.tensors, what: what)
        let tensors = try TensorCodec.decode(bytes, header: header, what: what, zstd: zstd)
        let decoded = tensors.values.reduce(0) { $0 + $1.units.count * 4 }
        if blobCacheBytes + decoded <= maxBlobCacheBytes {
            blobCache[blob] = tensors
            blobCacheBytes += decoded
        }
        return tensors
    }

    /// Reads a tree of pack files, allowing only the entry names in `allowed` (group → file name).
    func readPackTree(_ id: ObjectID, what: String, budget: inout StateBudget) throws -> GridState {
        var state = GridState()
        for entry in try Tree.lookup(id, in: repository).entries {
            guard entry.kind == .blob else { throw StoreError.corrupt(what: what, reason: "unexpected entry '\(entry.name)'") }
            switch entry.name {
            case Self.adapterPack: state.tensors = try readPack(entry.id, what: "\(what)/\(entry.name)", budget: &budget)
            case Self.routerPack: state.routers = try readPack(entry.id, what: "\(what)/\(entry.name)", budget: &budget)
            default: throw StoreError.corrupt(what: what, reason: "unexpected entry '\(entry.name)'")
            }
        }
        for name in state.routers.keys where state.tensors[name] != nil { throw StoreError.duplicateName(name) }
        return state
    }

    /// Reads a keyframe part: `adapter.bin` / `router.bin`, or (a format-3 sum) `adapter/` / `router/`
    /// folders of per-group packs.
    func readGroupTree(_ id: ObjectID, what: String, budget: inout StateBudget) throws -> GridState {
        let entries = try Tree.lookup(id, in: repository).entries
        guard entries.contains(where: { $0.kind == .tree }) else { return try readPackTree(id, what: what, budget: &budget) }
        var state = GridState()
        for entry in entries {
            guard entry.kind == .tree, entry.name == RepoFormat.adapterGroup || entry.name == RepoFormat.routerGroup else {
                throw StoreError.corrupt(what: what, reason: "unexpected entry '\(entry.name)'")
            }
            let tensors = try readGroupedPacks(entry.id, what: "\(what)/\(entry.name)", budget: &budget)
            if entry.name == RepoFormat.adapterGroup { state.tensors = tensors } else { state.routers = tensors }
        }
        for name in state.routers.keys where state.tensors[name] != nil { throw StoreError.duplicateName(name) }
        return state
    }

    // MARK: per-group keyframe sums

    /// The group a tensor's keyframe pack belongs to: its name without the last `.` part
    /// (`molora.20.17.A` → `molora.20.17`: a LoRA's A and B; `router.20.bias` → `router.20`).
    static func tensorGroup(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    /// A keyframe sum's tree: per-group packs when the repo's options say so (format 3), else `adapter.bin`
    /// and `router.bin`. A group whose sum did not change since `previous` (the last keyframe's sum tree)
    /// encodes to the same bytes, hence the same blob: git stores it once and `bytes` does not count it.
    func writeKeyframeSumTree(_ sum: GridState, previous: ObjectID?, bytes: inout Int) throws -> ObjectID? {
        guard options.groupsKeyframeSums else { return try writeGroupTree(sum, bytes: &bytes) }
        guard !sum.tensors.isEmpty || !sum.routers.isEmpty else { return nil }
        let old = try previous.map { try Tree.lookup($0, in: repository) }
        let builder = try TreeBuilder(repository: repository)
        for (folder, tensors) in [(RepoFormat.adapterGroup, sum.tensors), (RepoFormat.routerGroup, sum.routers)] where !tensors.isEmpty {
            let oldFolder = try old?.subtree(named: folder)
            let packs = try TreeBuilder(repository: repository)
            for (group, members) in Dictionary(grouping: tensors, by: { Self.tensorGroup($0.key) }) {
                let blob = try TensorCodec.encode(Dictionary(uniqueKeysWithValues: members), level: Int32(options.zstdLevel), zstd: zstd)
                let id = try repository.writeBlob(blob)
                let file = group + Self.packSuffix
                if oldFolder?.entry(named: file)?.id != id { bytes += blob.count }
                try packs.insertBlob(file, id)
            }
            try builder.insertTree(folder, try packs.write())
        }
        return try builder.write()
    }

    static let packSuffix = ".bin"

    /// A folder of per-group packs: `<group>.bin` holding exactly tensors of that group.
    func readGroupedPacks(_ id: ObjectID, what: String, budget: inout StateBudget) throws -> [String: GridTensor] {
        var out: [String: GridTensor] = [:]
        for entry in try Tree.lookup(id, in: repository).entries {
            let group = String(entry.name.dropLast(Self.packSuffix.utf8.count))
            guard entry.kind == .blob, entry.name.hasSuffix(Self.packSuffix), Names.isValid(group) else {
                throw StoreError.corrupt(what: what, reason: "unexpected entry '\(entry.name)'")
            }
            let tensors = try readPack(entry.id, what: "\(what)/\(entry.name)", budget: &budget)
            guard !tensors.isEmpty else { throw StoreError.corrupt(what: "\(what)/\(entry.name)", reason: "an empty pack") }
            for (name, tensor) in tensors {
                guard Self.tensorGroup(name) == group else {
                    throw StoreError.corrupt(what: "\(what)/\(entry.name)", reason: "tensor '\(name)' belongs to another group")
                }
                out[name] = tensor
            }
        }
        return out
    }

    /// The delta a commit's tree holds (`delta/adapter.bin` and `router/router.bin`).
    func readDelta(tree: Tree, of commit: ObjectID, budget: inout StateBudget) throws -> GridState {
        var delta = GridState()
        for (dir, expected) in [(RepoFormat.deltaDir, Self.adapterPack), (RepoFormat.routerDir, Self.routerPack)] {
            guard let entry = tree.entry(named: dir) else { continue }
            guard entry.kind == .tree else { throw StoreError.corrupt(what: dir, reason: "not a folder") }
            let part = try readPackTree(entry.id, what: "commit \(commit.short)'s \(dir)", budget: &budget)
            guard Set(try Tree.lookup(entry.id, in: repository).entries.map(\.name)).isSubset(of: [expected]) else {
                throw StoreError.corrupt(what: dir, reason: "expected only \(expected)")
            }
            delta.tensors.merge(part.tensors) { a, _ in a }
            delta.routers.merge(part.routers) { a, _ in a }
        }
        for name in delta.routers.keys where delta.tensors[name] != nil { throw StoreError.duplicateName(name) }
        return delta
    }

    // MARK: keyframes

    func keyframeMetaJSON(depth: Int, stateHash: String) -> [UInt8] {
        Array("{\n  \"depth\" : \(depth),\n  \"state\" : \"\(RepoFormat.statePrefix)\(stateHash)\"\n}\n".utf8)
    }

    func readKeyframe(tree: Tree) throws -> KeyframeRef {
        guard let kf = try tree.subtree(named: RepoFormat.keyframeDir) else {
            throw StoreError.corrupt(what: "tree \(tree.id.short)", reason: "no keyframe folder")
        }
        guard let meta = kf.entry(named: RepoFormat.keyframeMeta), meta.kind == .blob,
              let root = kf.entry(named: RepoFormat.keyframeRoot), root.kind == .tree else {
            throw StoreError.corrupt(what: "keyframe", reason: "missing meta.json or root")
        }
        let json = try repository.readBlob(meta.id, maxBytes: RepoFormat.maxJSONBytes)
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
              let depth = object["depth"] as? Int, depth >= 0 else {
            throw StoreError.corrupt(what: "keyframe/meta.json", reason: "no depth")
        }
        var sum: ObjectID?
        if let s = kf.entry(named: RepoFormat.keyframeSum) {
            guard s.kind == .tree else { throw StoreError.corrupt(what: "keyframe/sum", reason: "not a folder") }
            sum = s.id
        }
        return KeyframeRef(depth: depth, root: root.id, sum: sum)
    }

    /// root state (its packs and the generated tensors) + keyframe sum, cached by tree id; every tensor
    /// admitted to `budget` before it is read or generated.
    func keyframeState(_ ref: KeyframeRef, budget: inout StateBudget) throws -> GridState {
        var root: GridState
        if let hit = treeStateCache.get(ref.root) {
            root = hit
            try budget.admit(root.declared, what: "keyframe/root")
        } else {
            root = try readGroupTree(ref.root, what: "keyframe/root", budget: &budget)
            if let generatedRoot = options.generatedRoot {
                try generatedRoot.validate()
                try budget.admit(generatedRoot.declared, what: "elder.json generatedRoot")
            }
            if let generated = try options.generatedRoot?.state() {
                guard generated.tensors.keys.allSatisfy({ root.tensors[$0] == nil && root.routers[$0] == nil }) else {
                    throw StoreError.corrupt(what: "keyframe/root", reason: "a generated tensor is also stored")
                }
                // Adapter tensors (all a generator makes) the root does not hold: zero plus their units is those
                // units, so they are put in as they are, not added to zeros in a second copy.
                root.tensors.merge(generated.tensors) { stored, _ in stored }
            }
            treeStateCache.put(ref.root, root)
        }
        guard let sumID = ref.sum else { return root }
        if let hit = treeStateCache.get(sumID) {
            try budget.admit(hit.declared, what: "keyframe/sum")
            var state = root
            try state.add(hit)
            return state
        }
        let sum = try readGroupTree(sumID, what: "keyframe/sum", budget: &budget)
        treeStateCache.put(sumID, sum)
        var state = root
        try state.add(sum)
        return state
    }

    // MARK: edits and codebook

    /// Edits live in `edits/<x>/<y>/<id>.json`, x and y the first two hex digits of SHA-256(id), so a
    /// commit rewrites three small trees instead of one listing every live edit.
    static func editShard(_ id: String) -> (String, String) {
        let digest = Array(SHA256.hash(data: Array(id.utf8)))
        let digits = Array("0123456789abcdef")
        return (String(digits[Int(digest[0] >> 4)]), String(digits[Int(digest[0] & 15)]))
    }

    func readEdits(tree: Tree) throws -> [StoredEditRecord] {
        guard let edits = try tree.subtree(named: RepoFormat.editsDir) else { return [] }
        var out: [StoredEditRecord] = []
        func bad(_ name: String) -> StoreError { .corrupt(what: "edits", reason: "unexpected entry '\(name)'") }
        for first in edits.entries {
            guard first.kind == .tree, first.name.utf8.count == 1 else { throw bad(first.name) }
            for second in try Tree.lookup(first.id, in: repository).entries {
                guard second.kind == .tree, second.name.utf8.count == 1 else { throw bad(second.name) }
                for entry in try Tree.lookup(second.id, in: repository).entries {
                    let id = String(entry.name.dropLast(5))
                    guard entry.kind == .blob, entry.name.hasSuffix(".json"), Names.isValid(id),
                          Self.editShard(id) == (first.name, second.name) else { throw bad(entry.name) }
                    guard out.count < RepoFormat.maxEdits else { throw StoreError.corrupt(what: "edits", reason: "too many edits") }
                    out.append(StoredEditRecord(id: id, json: try repository.readBlob(entry.id, maxBytes: RepoFormat.maxJSONBytes)))
                }
            }
        }
        return out.sorted { $0.id < $1.id }
    }

    func readCodebook(tree: Tree) throws -> [String: [UInt8]] {
        guard let codebook = try tree.subtree(named: RepoFormat.codebookDir) else { return [:] }
        // Every size from the object headers first: nothing is read when the whole would pass the limit.
        let limit = min(limits.codebookBytes, RepoFormat.maxCodebookBytes)
        var total = 0
        for entry in codebook.entries {
            guard entry.kind == .blob, Names.isValid(entry.name) else {
                throw StoreError.corrupt(what: "codebook", reason: "unexpected entry '\(entry.name)'")
            }
            let size = try repository.blobSize(entry.id)
            guard size <= limit - total else {
                throw StoreError.overLimit(what: "the codebook of tree \(tree.id.short)", limit: "elder.maxCodebookBytes",
                                           declared: size > limit ? size : total + size, allowed: limit)
            }
            total += size
        }
        var out: [String: [UInt8]] = [:]
        for entry in codebook.entries { out[entry.name] = try repository.readVerifiedBlob(entry.id, maxBytes: limit) }
        return out
    }

    /// `edits/` of the parent with `added` put in and `removed` taken out; nil when no edit is live.
    func writeEditsTree(parent: Tree?, added: [StoredEditRecord], removed: [String]) throws -> ObjectID? {
        let top = try parent?.subtree(named: RepoFormat.editsDir)
        var changes: [String: [String: [(name: String, blob: ObjectID?)]]] = [:]
        for id in removed {
            let (x, y) = Self.editShard(id)
            changes[x, default: [:]][y, default: []].append((id + ".json", nil))
        }
        for edit in added {
            guard edit.json.count <= RepoFormat.maxJSONBytes else {
                throw StoreError.invalidArgument("edit record \(edit.id) is larger than \(RepoFormat.maxJSONBytes) bytes")
            }
            let (x, y) = Self.editShard(edit.id)
            changes[x, default: [:]][y, default: []].append((edit.id + ".json", try repository.writeBlob(edit.json)))
        }
        let topBuilder = try TreeBuilder(repository: repository, base: top)
        for (x, inner) in changes {
            let mid = try top?.subtree(named: x)
            let midBuilder = try TreeBuilder(repository: repository, base: mid)
            for (y, entries) in inner {
                let leaf = try mid?.subtree(named: y)
                let leafBuilder = try TreeBuilder(repository: repository, base: leaf)
                for entry in entries {
                    if let blob = entry.blob {
                        try leafBuilder.insertBlob(entry.name, blob)
                    } else {
                        guard leaf?.entry(named: entry.name) != nil else {
                            throw StoreError.invalidArgument("edit \(entry.name.dropLast(5)) is not live at the parent")
                        }
                        try leafBuilder.remove(entry.name)
                    }
                }
                try midBuilder.setTree(y, leafBuilder.count == 0 ? nil : try leafBuilder.write())
            }
            try topBuilder.setTree(x, midBuilder.count == 0 ? nil : try midBuilder.write())
        }
        return topBuilder.count == 0 ? nil : try topBuilder.write()
    }

    func writeCodebookTree(_ files: [String: [UInt8]]) throws -> ObjectID? {
        guard !files.isEmpty else { return nil }
        let builder = try TreeBuilder(repository: repository)
        var total = 0
        for name in StateHash.sortedNames(files.keys) {
            total += files[name]!.count
            guard total <= RepoFormat.maxCodebookBytes else { throw StoreError.invalidArgument("codebook is too large") }
            try builder.insertBlob(name, try repository.writeBlob(files[name]!))
        }
        return try builder.write()
    }
}

extension TreeBuilder {
    /// Inserts `id` as subtree `name`, or removes `name` when `id` is nil.
    func setTree(_ name: String, _ id: ObjectID?) throws {
        if let id { try insertTree(name, id) } else { try remove(name) }
    }
}
