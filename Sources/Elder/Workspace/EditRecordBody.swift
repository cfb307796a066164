import ElderStore
import Foundation

/// The JSON of an edit record (`edits/<id>.json`): the request, the message and the metrics at commit time.
public struct EditRecordBody: Codable, Sendable, Equatable {
    public var id: String
    public var prompt: String
    public var target: String
    public var paraphrases: [String]
    public var label: String?
    public var message: String
    public var allocation: [[Int]]?
    public var metrics: EditMetrics
    /// The live edits of the same prompt this edit replaced (absent when it replaced none).
    public var supersedes: [SupersededEdit]?

    public init(id: String, prompt: String, target: String, paraphrases: [String], label: String?, message: String,
                allocation: [[Int]]?, metrics: EditMetrics, supersedes: [SupersededEdit]? = nil) {
        self.id = id
        self.prompt = prompt
        self.target = target
        self.paraphrases = paraphrases
        self.label = label
        self.message = message
        self.allocation = allocation
        self.metrics = metrics
        self.supersedes = supersedes
    }

    /// The record decoded from the bytes the store keeps (the one place a stored record is read), or
    /// `invalidMemory` naming the edit.
    public init(decoding record: StoredEditRecord) throws {
        do { self = try JSONDecoder().decode(EditRecordBody.self, from: Data(record.json)) } catch {
            throw WorkspaceError.invalidMemory("edit record \(record.id): \(error)")
        }
    }

    /// The record as the store keeps it: pretty-printed JSON with sorted keys.
    func stored() throws -> StoredEditRecord {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return StoredEditRecord(id: id, json: Array(try encoder.encode(self)))
    }
}
