import ElderModel
import ElderEditing
import ElderStore
import Foundation

/// A greedy answer and why the adapter did (or did not) act on it.
public struct Answer: Sendable {
    public var text: String
    public var tokens: [Int]
    public var routing: RoutingExplanation?
    public var commit: ObjectID
}

/// One commit as `log` lists it.
public struct LogEntry: Sendable {
    public var commit: ObjectID
    public var parents: [ObjectID]
    /// First-parent depth; -1 for a commit that is not an Elder commit (made with plain git).
    public var depth: Int
    /// The edit the commit makes (`Elder-Edit`), or for a revert the edit it removes or restores.
    public var editID: String?
    /// The first line of the message.
    public var summary: String
    public var message: String
    /// The workspace's trailers (metrics such as `Reliability`, revert results), without the store's `Elder-*`.
    public var metrics: [String: String]
    /// The recorded state hash; empty for a commit that is not an Elder commit.
    public var stateHash: String
    public var author: Signature
    /// Commit time, seconds since 1970.
    public var time: Int64
}

extension Workspace {
    /// Greedy answer of the model at `revision` (rebuilt and cached) to `prompt`, with the routing explanation.
    public func ask(_ prompt: String, at revision: String = "HEAD", maxTokens: Int = 16) throws -> Answer {
        try checkContext("the prompt", prompt, requested: maxTokens)
        let commit = try resolve(revision)
        let editor = try self.editor(for: try version(of: commit))
        let out = Measurer(model: model).greedy(editor: editor, prompt: prompt, maxTokens: maxTokens)
        return Answer(text: out.text, tokens: out.tokens, routing: out.routing, commit: commit)
    }

    /// Throws `ContextLimitError` when `text` and `requested` more tokens do not fit the model's context.
    func checkContext(_ what: String, _ text: String, requested: Int = 0) throws {
        try ContextLimitError.check(what, tokens: model.tokenizer.encode(text).count, requested: requested,
                                    context: model.configuration.contextLength)
    }

    /// Commits reachable from `revision`, newest first (topological, then time), at most `limit`.
    public func log(_ revision: String = "HEAD", limit: Int = .max, firstParent: Bool = false) throws -> [LogEntry] {
        try history.log(revision, limit: limit, firstParent: firstParent)
    }

    /// The edit records live at a revision, decoded.
    public func liveEdits(at revision: String = "HEAD") throws -> [EditRecordBody] {
        try liveEdits(of: try resolve(revision))
    }

    func liveEdits(of commit: ObjectID) throws -> [EditRecordBody] {
        try history.liveEdits(of: commit)
    }
}
