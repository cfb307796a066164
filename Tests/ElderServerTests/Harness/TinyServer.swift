import Elder
import ElderEditing
import ElderModel
import ElderServer
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// A knowledge repo on the tiny model (with a ChatML template) holding two edits, a tag before the second,
/// and an `ElderServer` on it in this process on a free loopback port: fast tests of every route.
final class TinyServer: @unchecked Sendable {
    static let chatTemplate = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
        + "<|im_start|>assistant\n"
    static let edits = [(prompt: "The tiny capital is", target: " Lyon"), (prompt: "The tiny river is", target: " Rhone")]

    let folder: String
    let repo: String
    let model: LoadedModel
    /// The repo opened in this process (edits, reference answers).
    let workspace: Workspace
    let server: ElderServer
    private var task: Task<Void, Error>?
    private(set) var port = 0

    /// `probes`: lines of a probe file written as the repo's standing gate (`probes.jsonl`) after its edits.
    init(configuration: ServerConfiguration = ServerConfiguration(), probes: [String] = [], name: String = #function) throws {
        folder = temporaryFolder("serve-" + name)
        let modelPath = folder + "/tiny-chat.gguf"
        try TinyCheckpoint.make(seed: 7, layers: 4).writeGGUF(to: modelPath, chatTemplate: Self.chatTemplate)
        model = try LoadedModel.load(path: modelPath)
        repo = folder + "/facts"
        workspace = try Workspace.initialize(at: repo, model: model)
        // The tiny random model may get a target short by a token; these tests are about serving, not holding.
        try workspace.store.repository.setConfigValue(RepoHistory.allowNotHoldingKey, "true")
        try workspace.edit(EditRequest(id: "", prompt: Self.edits[0].prompt, target: Self.edits[0].target), message: "First edit")
        try workspace.store.repository.createTag("one-edit", at: try workspace.resolve("main"))
        try workspace.edit(EditRequest(id: "", prompt: Self.edits[1].prompt, target: Self.edits[1].target), message: "Second edit")
        if !probes.isEmpty { try (probes.joined(separator: "\n") + "\n").write(toFile: repo + "/probes.jsonl", atomically: true, encoding: .utf8) }
        var configuration = configuration
        configuration.port = 0
        server = try ElderServer(repoPath: repo, model: model, configuration: configuration)
        let started = DispatchSemaphore(value: 0)
        let box = PortBox()
        task = Task { [server] in
            try await server.run(shutdownSignals: []) { port in
                box.port = port
                started.signal()
            }
        }
        guard started.wait(timeout: .now() + 60) == .success else { throw XCTSkip("the server did not start in 60 s") }
        port = box.port
    }

    /// Stops the server (cancels its task and waits for it). The tests call the server from plain threads,
    /// as its clients would: a blocking client on Swift's few cooperative threads would starve the server.
    func stop() {
        guard let task else { return }
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            task.cancel()
            _ = try? await task.value
            done.signal()
        }
        done.wait()
        self.task = nil
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    // MARK: requests

    func get(_ path: String) throws -> RawHTTP.Reply { try RawHTTP.exchange(port: port, "GET", path) }

    func post(_ path: String, _ body: [String: Any]) throws -> RawHTTP.Reply {
        try RawHTTP.exchange(port: port, "POST", path, json: body)
    }

    /// A greedy completion of `prompt` by version `model`: its text and the whole reply.
    func complete(_ prompt: String, model: String = "main", maxTokens: Int = 8) throws -> (text: String, reply: RawHTTP.Reply) {
        let reply = try post("/v1/completions", ["model": model, "prompt": prompt, "max_tokens": maxTokens, "temperature": 0])
        let choices = reply.json()?["choices"] as? [[String: Any]]
        return (choices?.first?["text"] as? String ?? "", reply)
    }

    /// The value of a metric (first sample whose line starts with `name`).
    func metric(_ name: String) throws -> Double? {
        let text = try get("/metrics").text
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }

    /// The repo's refs and the names of its files with their sizes: what a read-only server must not change.
    func repoSnapshot() throws -> [String] {
        var out: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: repo)
        while let path = enumerator?.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: repo + "/" + path)
            out.append("\(path) \(attributes[.size] ?? 0) \((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)")
        }
        return out.sorted()
    }
}

private final class PortBox: @unchecked Sendable {
    var port = 0
}
