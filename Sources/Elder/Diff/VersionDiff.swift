import ElderStore
import Foundation

/// An edit as a diff lists it.
public struct EditSummary: Codable, Sendable, Equatable {
    public var id: String
    public var prompt: String
    public var target: String
    public var message: String

    init(_ body: EditRecordBody) {
        id = body.id
        prompt = body.prompt
        target = body.target
        message = body.message
    }
}

/// Knowledge diff between two versions: the live edits one has and the other lacks (from the edit
/// records each version carries), and edits whose record differs (same id, another prompt or target).
public struct KnowledgeDiff: Codable, Sendable, Equatable {
    public var from: String
    public var to: String
    public var added: [EditSummary]
    public var removed: [EditSummary]
    public var changed: [EditSummary]
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
}

/// How one tensor differs between two versions (`to − from`; a tensor one side lacks counts as zeros).
public struct TensorChange: Codable, Sendable, Equatable {
    public var name: String
    /// `adapter` or `router`.
    public var group: String
    public var shape: [Int]
    public var changedValues: Int
    public var values: Int
    /// Root-mean-square of the change over all the tensor's values.
    public var rms: Double
    public var maxAbs: Double
}

/// A probe whose greedy answer differs between two versions.
public struct BehaviourChange: Codable, Sendable, Equatable {
    public var prompt: String
    public var before: String
    public var after: String
}

/// Diffs between versions of a knowledge repo. Knowledge and parameter diffs need only the store; the
/// behaviour diff runs the model (`Workspace.behaviourDiff`).
public enum VersionDiff {
    /// Edits live at `to` and not at `from` (added), the reverse (removed), and same-id edits whose prompt,
    /// target or paraphrases differ (changed), each in id order.
    public static func knowledge(_ store: KnowledgeStore, from: ObjectID, to: ObjectID) throws -> KnowledgeDiff {
        let before = try bodies(store, at: from), after = try bodies(store, at: to)
        let added = after.keys.filter { before[$0] == nil }.sorted().map { EditSummary(after[$0]!) }
        let removed = before.keys.filter { after[$0] == nil }.sorted().map { EditSummary(before[$0]!) }
        let changed = after.keys.sorted().compactMap { id -> EditSummary? in
            guard let a = before[id], let b = after[id],
                  a.prompt != b.prompt || a.target != b.target || a.paraphrases != b.paraphrases else { return nil }
            return EditSummary(b)
        }
        return KnowledgeDiff(from: from.hex, to: to.hex, added: added, removed: removed, changed: changed)
    }

    /// Every tensor that differs between the two versions' rebuilt states, in name order (adapter group first).
    public static func parameters(_ store: KnowledgeStore, from: ObjectID, to: ObjectID) throws -> [TensorChange] {
        let a = try store.state(of: from), b = try store.state(of: to)
        return changes(a.tensors, b.tensors, group: "adapter") + changes(a.routers, b.routers, group: "router")
    }

    static func changes(_ a: [String: StoredTensor], _ b: [String: StoredTensor], group: String) -> [TensorChange] {
        Set(a.keys).union(b.keys).sorted().compactMap { name in
            let shape = (b[name] ?? a[name])!.shape
            let count = shape.reduce(1, *)
            let x = a[name]?.values ?? [Float](repeating: 0, count: count)
            let y = b[name]?.values ?? [Float](repeating: 0, count: count)
            // Format 1 cannot reshape a tensor; a damaged repo that did is reported as wholly changed.
            guard x.count == y.count else {
                return TensorChange(name: name, group: group, shape: shape, changedValues: count, values: count, rms: 0, maxAbs: 0)
            }
            var changed = 0, squares = 0.0, maxAbs = 0.0
            for i in 0..<x.count where x[i].bitPattern != y[i].bitPattern {
                let d = Double(y[i]) - Double(x[i])
                changed += 1
                squares += d * d
                maxAbs = max(maxAbs, abs(d))
            }
            guard changed > 0 else { return nil }
            return TensorChange(name: name, group: group, shape: shape, changedValues: changed, values: x.count,
                                rms: (squares / Double(max(x.count, 1))).squareRoot(), maxAbs: maxAbs)
        }
    }

    static func bodies(_ store: KnowledgeStore, at commit: ObjectID) throws -> [String: EditRecordBody] {
        var out: [String: EditRecordBody] = [:]
        for record in try store.liveEdits(at: commit) { out[record.id] = try EditRecordBody(decoding: record) }
        return out
    }
}

extension Workspace {
    /// The probes whose greedy answers (at most `maxTokens` tokens) differ between the two versions, in
    /// the probes' order.
    public func behaviourDiff(prompts: [String], from: ObjectID, to: ObjectID, maxTokens: Int = 8) throws -> [BehaviourChange] {
        let before = try editor(for: try version(of: from)), after = try editor(for: try version(of: to))
        return try prompts.compactMap { prompt in
            let a = try answer(prompt, editor: before, maxTokens: maxTokens, commit: from)
            let b = try answer(prompt, editor: after, maxTokens: maxTokens, commit: to)
            return a.tokens == b.tokens ? nil : BehaviourChange(prompt: prompt, before: a.text, after: b.text)
        }
    }
}
