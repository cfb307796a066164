import Elder
import ElderEditing
import Foundation

/// Edits committed in-process on the tiny model (the `edit` command belongs to another suite): fast
/// histories for the diff, eval, export and remote tests.
enum TinyEdits {
    /// Commits each (prompt, target) on `branch` of the repo at `repo`; returns the results in order.
    @discardableResult
    static func commit(_ edits: [(prompt: String, target: String)], in repo: String, branch: String = "main",
                       paraphrases: [String] = []) throws -> [EditResult] {
        let workspace = try Workspace.open(at: repo, model: TinyRepo.modelPath)
        return try edits.enumerated().map { i, e in
            try workspace.edit(EditRequest(id: "", prompt: e.prompt, target: e.target, paraphrases: i == 0 ? paraphrases : []),
                               message: "Teach \(e.prompt)\(e.target)", on: branch)
        }
    }

    /// The state hash of a revision, rebuilt in-process.
    static func stateHash(_ repo: String, _ revision: String = "HEAD") throws -> String {
        try Workspace.open(at: repo, model: TinyRepo.modelPath).stateHash(at: revision)
    }
}

/// `git` run as a user would, for the remote tests (status and output).
@discardableResult
func runGit(_ arguments: [String], in folder: String = "/") throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    let stem = NSTemporaryDirectory() + "elder-rgit-\(UUID().uuidString)"
    FileManager.default.createFile(atPath: stem, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: stem) }
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: stem))
    process.standardOutput = out
    process.standardError = out
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try out.close()
    let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: stem)), as: UTF8.self)
    return (process.terminationStatus, text.trimmingCharacters(in: .whitespacesAndNewlines))
}

extension ElderRun {
    /// The array of objects under `key` of the printed JSON object (empty when absent).
    func jsonObjects(_ key: String) throws -> [[String: Any]] {
        try json()[key] as? [[String: Any]] ?? []
    }
}
