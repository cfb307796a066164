import Elder
import ElderEditing
import ElderModel
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// A 60-edit history on the real model, built once per test process and shared by the history tests:
/// 59 counterfactual Wikidata edits from Samples/edits/wikidata-1000.jsonl (relations about capitals
/// left out, so nothing else touches the probe) with "The capital of France is" → " Lyon" as edit 46.
///
/// Layout: `main` = root, codebook commit (`commits[0]`), then one commit per edit (`commits[i]` after
/// edit i). Branch `a` = `commits[40]`; branch `b` = 20 more edits (pool 61…80) on `commits[20]`, the
/// merge base.
final class EditHistoryFixture: @unchecked Sendable {
    static let editCount = 60
    static let franceIndex = 46
    static let baseIndex = 20
    static let aIndex = 40
    static let branchEdits = 20
    static let france = EditRequest(id: "france-lyon", prompt: "The capital of France is", target: " Lyon",
                                    paraphrases: ["France's capital city is", "The capital city of France is", "The French capital is"])

    let folder: String
    let ws: Workspace
    /// `commits[0]`: before any edit; `commits[i]`: after edit i on main.
    var commits: [ObjectID] = []
    /// `edits[i - 1]` is edit i on main.
    var edits: [EditRequest] = []
    var results: [EditResult] = []
    /// Edits of branch `b` and the heldout paraphrases of every edit (by id).
    var branchB: [EditRequest] = []
    var heldout: [String: [String]] = [:]
    /// Pool records not used by the history (for conflicting edits).
    var buildSeconds: Double = 0

    nonisolated(unsafe) private static var shared: EditHistoryFixture?
    nonisolated(unsafe) private static var failure: Error?
    private static let lock = NSLock()

    /// The shared history, built on first use (a failure is remembered and rethrown to every test).
    static func get() throws -> EditHistoryFixture {
        let model = try RealModel.load()
        lock.lock(); defer { lock.unlock() }
        if let shared { return shared }
        if let failure { throw failure }
        do {
            let f = try EditHistoryFixture(model: model)
            shared = f
            return f
        } catch {
            failure = error
            throw error
        }
    }

    static func cleanUp() {
        lock.lock(); defer { lock.unlock() }
        if let shared { try? FileManager.default.removeItem(atPath: shared.folder) }
        shared = nil
    }

    struct PoolRecord: Decodable {
        var id: String
        var prompt: String
        var target: String
        var paraphrases: [String]?
        var heldout: [String]?
        var relation: String?
    }

    static func pool() throws -> [PoolRecord] {
        let file = RealModel.packageRoot.appendingPathComponent("Samples/edits/wikidata-1000.jsonl")
        let text = try String(contentsOf: file, encoding: .utf8)
        let records = try text.split(separator: "\n").map { try JSONDecoder().decode(PoolRecord.self, from: Data($0.utf8)) }
        return records.filter { r in
            !(r.relation ?? "").contains("capital") && !r.prompt.contains("capital") && !r.prompt.contains("France")
                && !r.prompt.contains("French")
        }
    }

    private init(model: LoadedModel) throws {
        folder = temporaryFolder("history")
        let start = Date()
        ws = try Workspace.initialize(at: folder, model: model)
        commits = [try ws.resolve("main")]
        let pool = try Self.pool()
        var next = 0
        func request(_ r: PoolRecord) -> EditRequest {
            heldout[r.id] = r.heldout ?? []
            return EditRequest(id: r.id, prompt: r.prompt, target: r.target, paraphrases: r.paraphrases ?? [])
        }
        for i in 1...Self.editCount {
            let req: EditRequest
            if i == Self.franceIndex { req = Self.france } else { req = request(pool[next]); next += 1 }
            let result = try ws.edit(req)
            edits.append(req)
            results.append(result)
            commits.append(result.commit)
        }
        try ws.store.repository.createBranch("a", at: commits[Self.aIndex])
        try ws.store.repository.createBranch("b", at: commits[Self.baseIndex])
        for _ in 0..<Self.branchEdits {
            let req = request(pool[next]); next += 1
            try ws.edit(req, on: "b")
            branchB.append(req)
        }
        buildSeconds = Date().timeIntervalSince(start)
        let held = results.filter(\.holds).count
        print("MEASURED: history of \(Self.editCount) edits on main + \(Self.branchEdits) on b built in \(Int(buildSeconds)) s; "
            + "\(held)/\(Self.editCount) held when committed")
    }

    func git(_ args: [String]) throws -> (status: Int32, out: String) {
        let run = try GitCLI.invoke(["--git-dir", folder] + args)
        return (run.status, run.output)
    }
}
