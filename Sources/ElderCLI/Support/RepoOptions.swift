import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

/// `-C DIR` and `--model PATH`: which knowledge repo a command works in and which model file opens it.
/// Without `-C`, the repo is the working folder or the nearest parent that is one (as git finds `.git`).
struct RepoOptions: ParsableArguments {
    @Option(name: .customShort("C"), help: ArgumentHelp("Run as if elder was started in DIR.", valueName: "DIR"))
    var directory: String?

    @Option(name: .customLong("model"),
            help: ArgumentHelp("The repo's model file, when it is not where `elder init` found it (it must have the repo's SHA-256).",
                               valueName: "PATH"))
    var modelPath: String?

    /// The knowledge repo's folder (a bare git repository).
    func repoPath() throws -> String {
        let start = URL(fileURLWithPath: directory ?? FileManager.default.currentDirectoryPath).standardizedFileURL
        var folder = start
        while true {
            if Self.looksLikeGitDirectory(folder.path) { return folder.path }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { break }
            folder = parent
        }
        throw CLIFailure.fatal("not an Elder knowledge repo (or any parent up to /): \(start.path); "
            + "create one with `elder init DIR --model smollm2-135m`, then cd into it or pass -C DIR")
    }

    /// The store alone, for commands that need no model (log, branch, tag, …).
    func openStore() throws -> KnowledgeStore {
        try Workspace.openStore(at: try repoPath())
    }

    /// The workspace (store + model), loading the model the repo records or `--model`; its store keeps
    /// `storeCacheCapacity` rebuilt states (`KnowledgeStore.open`).
    func openWorkspace(storeCacheCapacity: Int = 8) throws -> Workspace {
        let path = try repoPath()
        if let modelPath { return try Workspace.open(at: path, model: modelPath, storeCacheCapacity: storeCacheCapacity) }
        return try Workspace.open(at: path, storeCacheCapacity: storeCacheCapacity)
    }

    /// The branch HEAD names, or a failure saying how to get onto one (edits need a branch to move).
    static func currentBranch(of repository: Repository) throws -> String {
        guard let branch = try repository.currentBranch() else {
            throw CLIFailure.fatal("HEAD is detached (not on a branch): `elder checkout BRANCH` or `elder branch NAME` first")
        }
        return branch
    }

    private static func looksLikeGitDirectory(_ path: String) -> Bool {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        return fm.fileExists(atPath: path + "/HEAD")
            && fm.fileExists(atPath: path + "/objects", isDirectory: &isFolder) && isFolder.boolValue
            && fm.fileExists(atPath: path + "/refs", isDirectory: &isFolder) && isFolder.boolValue
    }
}
