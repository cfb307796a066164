import Foundation

/// Reading and writing the trees of format version 1: flat tensor folders, adapter/router group
/// folders, edits and codebook. Every name read from a repo is validated; every blob size is bounded.
extension KnowledgeStore {
    // MARK: tensors

    /// Writes one blob per tensor into a flat tree; nil when there are no tensors.
    func writeTensorTree(_ tensors: [String: GridTensor], bytes: inout Int) throws -> ObjectID? {
        guard !tensors.isEmpty else { return nil }
        let builder = try TreeBuilder(repository: repository)
        for name in StateHash.sortedNames(tensors.keys) {
            let blob = try TensorCodec.encode(tensors[name]!, level: Int32(options.zstdLevel), zstd: zstd)
            bytes += blob.count
            try builder.insertBlob(name, try repository.writeBlob(blob))
        }
        return try builder.write()
    }

    /// A tree with `adapter/` and `router/` flat tensor trees; nil when both are empty.
    func writeGroupTree(_ state: GridState, bytes: inout Int) throws -> ObjectID? {
        let adapter = try writeTensorTree(state.tensors, bytes: &bytes)
        let router = try writeTensorTree(state.routers, bytes: &bytes)
        guard adapter != nil || router != nil else { return nil }
        let builder = try TreeBuilder(repository: repository)
        if let adapter { try builder.insertTree(RepoFormat.adapterGroup, adapter) }
        if let router { try builder.insertTree(RepoFormat.routerGroup, router) }
        return try builder.write()
    }

    func readTensorTree(_ id: ObjectID, what: String) throws -> [String: GridTensor] {
        let tree = try Tree.lookup(id, in: repository)
        var out: [String: GridTensor] = [:]
        for entry in tree.entries {
            guard entry.kind == .blob, Names.isValid(entry.name) else {
                throw StoreError.corrupt(what: what, reason: "unexpected entry '\(entry.name)'")
            }
            out[entry.name] = try decodedTensor(entry.id, what: "\(what)/\(entry.name)")
        }
        return out
    }

    func readGroupTree(_ id: ObjectID, what: String) throws -> GridState {
        let tree = try Tree.lookup(id, in: repository)
        var state = GridState()
        for entry in tree.entries {
            guard entry.kind == .tree else { throw StoreError.corrupt(what: what, reason: "unexpected entry '\(entry.name)'") }
            switch entry.name {
            case RepoFormat.adapterGroup: state.tensors = try readTensorTree(entry.id, what: "\(what)/adapter")
            case RepoFormat.routerGroup: state.routers = try readTensorTree(entry.id, what: "\(what)/router")
            default: throw StoreError.corrupt(what: what, reason: "unexpected entry '\(entry.name)'")
            }
        }
        return state
    }

    /// Decodes a tensor blob, from the blob cache when it was read before (blobs are immutable).
    func decodedTensor(_ blob: ObjectID, what: String) throws -> GridTensor {
        if let hit = blobCache[blob] { return hit }
        let bytes = try repository.readBlob(blob, maxBytes: RepoFormat.maxTensorBlobBytes())
        let tensor = try TensorCodec.decode(bytes, what: what, zstd: zstd)
        if blobCacheBytes < maxBlobCacheBytes {
            blobCache[blob] = tensor
            blobCacheBytes += tensor.units.count * 4
        }
        return tensor
    }

    /// The delta a commit's tree holds (`delta/` and `router/`).
    func readDelta(tree: Tree) throws -> GridState {
        var delta = GridState()
        if let d = tree.entry(named: RepoFormat.deltaDir) {
            guard d.kind == .tree else { throw StoreError.corrupt(what: "delta", reason: "not a folder") }
            delta.tensors = try readTensorTree(d.id, what: RepoFormat.deltaDir)
        }
        if let r = tree.entry(named: RepoFormat.routerDir) {
            guard r.kind == .tree else { throw StoreError.corrupt(what: "router", reason: "not a folder") }
            delta.routers = try readTensorTree(r.id, what: RepoFormat.routerDir)
        }
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

    /// root state + keyframe sum, cached by the pair of tree ids.
    func keyframeState(_ ref: KeyframeRef) throws -> GridState {
        let root: GridState
        if let hit = treeStateCache.get(ref.root) { root = hit } else {
            root = try readGroupTree(ref.root, what: "keyframe/root")
            treeStateCache.put(ref.root, root)
        }
        guard let sumID = ref.sum else { return root }
        if let hit = treeStateCache.get(sumID) {
            var state = root
            try state.add(hit)
            return state
        }
        let sum = try readGroupTree(sumID, what: "keyframe/sum")
        treeStateCache.put(sumID, sum)
        var state = root
        try state.add(sum)
        return state
    }

    // MARK: edits and codebook

    func readEdits(tree: Tree) throws -> [EditRecord] {
        guard let edits = try tree.subtree(named: RepoFormat.editsDir) else { return [] }
        guard edits.count <= RepoFormat.maxEdits else { throw StoreError.corrupt(what: "edits", reason: "too many entries") }
        return try edits.entries.map { entry in
            guard entry.kind == .blob, entry.name.hasSuffix(".json"),
                  Names.isValid(String(entry.name.dropLast(5))) else {
                throw StoreError.corrupt(what: "edits", reason: "unexpected entry '\(entry.name)'")
            }
            return EditRecord(id: String(entry.name.dropLast(5)),
                              json: try repository.readBlob(entry.id, maxBytes: RepoFormat.maxJSONBytes))
        }
    }

    func readCodebook(tree: Tree) throws -> [String: [UInt8]] {
        guard let codebook = try tree.subtree(named: RepoFormat.codebookDir) else { return [:] }
        var out: [String: [UInt8]] = [:]
        var total = 0
        for entry in codebook.entries {
            guard entry.kind == .blob, Names.isValid(entry.name) else {
                throw StoreError.corrupt(what: "codebook", reason: "unexpected entry '\(entry.name)'")
            }
            let bytes = try repository.readBlob(entry.id, maxBytes: RepoFormat.maxCodebookBytes - total)
            total += bytes.count
            out[entry.name] = bytes
        }
        return out
    }

    /// `edits/` of the parent with `added` put in and `removed` taken out; nil when no edit is live.
    func writeEditsTree(parent: Tree?, added: [EditRecord], removed: [String]) throws -> ObjectID? {
        let base = try parent?.subtree(named: RepoFormat.editsDir)
        let builder = try TreeBuilder(repository: repository, base: base)
        for id in removed {
            guard base?.entry(named: id + ".json") != nil else {
                throw StoreError.invalidArgument("edit \(id) is not live at the parent")
            }
            try builder.remove(id + ".json")
        }
        for edit in added {
            guard edit.json.count <= RepoFormat.maxJSONBytes else {
                throw StoreError.invalidArgument("edit record \(edit.id) is larger than \(RepoFormat.maxJSONBytes) bytes")
            }
            try builder.insertBlob(edit.id + ".json", try repository.writeBlob(edit.json))
        }
        return builder.count == 0 ? nil : try builder.write()
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
