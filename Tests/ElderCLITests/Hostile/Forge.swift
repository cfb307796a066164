import Foundation

/// Objects a hostile colleague makes with plain `git` plumbing (`hash-object`, `mktree`, `commit-tree`,
/// `update-ref`): no Elder code writes them, so nothing Elder checks on write protects the reader.
struct Forge: Sendable {
    let repo: String

    /// `git --git-dir repo args…` with `input` on standard input; the trimmed standard output.
    @discardableResult
    func git(_ arguments: [String], input: Data? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["--git-dir", repo] + arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in ["GIT_AUTHOR_NAME": "Mallory", "GIT_AUTHOR_EMAIL": "m@example.com", "GIT_COMMITTER_NAME": "Mallory",
                       "GIT_COMMITTER_EMAIL": "m@example.com"] { env[k] = v }
        process.environment = env
        let stem = NSTemporaryDirectory() + "elder-forge-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: stem, contents: input ?? Data())
        FileManager.default.createFile(atPath: stem + ".out", contents: nil)
        defer { try? FileManager.default.removeItem(atPath: stem); try? FileManager.default.removeItem(atPath: stem + ".out") }
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stem))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stem + ".out"))
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let out = String(decoding: try Data(contentsOf: URL(fileURLWithPath: stem + ".out")), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "git", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: "git \(arguments) failed"])
        }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func blob(_ bytes: [UInt8]) throws -> String { try git(["hash-object", "-w", "--stdin"], input: Data(bytes)) }
    func bytes(_ spec: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["--git-dir", repo, "cat-file", "blob", spec]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(data)
    }

    /// `tree` with the entry at `path` replaced by `object` (a blob, or a tree when `isTree`), as `git mktree` writes it.
    func replace(in tree: String, path: [String], with object: String, isTree: Bool = false) throws -> String {
        let listing = try git(["ls-tree", tree]).split(separator: "\n").map(String.init)
        var entries = listing.filter { !$0.hasSuffix("\t" + path[0]) }
        let entry: String
        if path.count == 1 {
            entry = isTree ? "040000 tree \(object)\t\(path[0])" : "100644 blob \(object)\t\(path[0])"
        } else {
            let sub = listing.first { $0.hasSuffix("\t" + path[0]) }.map { String($0.split(separator: " ")[2].prefix(40)) }
            let inner = try replace(in: sub ?? (try git(["mktree"], input: Data())), path: Array(path.dropFirst()), with: object, isTree: isTree)
            entry = "040000 tree \(inner)\t\(path[0])"
        }
        entries.append(entry)
        return try git(["mktree"], input: Data((entries.joined(separator: "\n") + "\n").utf8))
    }

    /// A commit of `tree` on top of `parent` with `message`, moved onto `main` by `update-ref`.
    @discardableResult
    func commit(tree: String, parent: String, message: String) throws -> String {
        let id = try git(["commit-tree", tree, "-p", parent, "-F", "-"], input: Data(message.utf8))
        try git(["update-ref", "refs/heads/main", id])
        return id
    }

    /// An Elder commit message at the next depth, with a made-up state hash, or (`sameState`) the parent's,
    /// which is right for a commit that changes no tensor: what an attacker who read FORMAT.md writes.
    func elderMessage(parent: String, sameState: Bool = false) throws -> String {
        let lines = try git(["log", "-1", "--format=%B", parent]).split(separator: "\n")
        let depth = lines.first { $0.hasPrefix("Elder-Depth: ") }.flatMap { Int($0.dropFirst(13)) } ?? 0
        let state = sameState ? String(lines.first { $0.hasPrefix("Elder-State: ") } ?? "")
            : "Elder-State: sha256:\(String(repeating: "0", count: 64))"
        return "forged\n\nElder-Depth: \(depth + 1)\n\(state)\nElder-Format: 1\n"
    }

    /// `tree` without its entries `names` (a commit that changes no tensor has no `delta/` or `router/`).
    func removing(_ names: [String], from tree: String) throws -> String {
        let entries = try git(["ls-tree", tree]).split(separator: "\n").filter { line in !names.contains { line.hasSuffix("\t" + $0) } }
        return try git(["mktree"], input: Data((entries.joined(separator: "\n") + "\n").utf8))
    }

    /// A tensor pack of one tensor `name` with `values` values at width 0: ~35 bytes that decode to zeros.
    static func zeroPack(_ name: String, values: Int) -> [UInt8] {
        func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        var bytes = Array("ELDP".utf8) + [1, 0, 0, 0] + le(1)
        bytes += [UInt8(name.utf8.count), 0] + Array(name.utf8) + [1, 0] + le(UInt32(values)) + le(1)
        return bytes + le(0)
    }
}
