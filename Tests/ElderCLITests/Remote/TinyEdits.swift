import Elder
import ElderEditing
import ElderTestSupport
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

