import Elder
import ElderEditing
import ElderModel
import ElderServer
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// Versions as the server sees them: a branch that moves is served at its new tip on the next request, a
/// stream keeps the commit it started on, rebuilt versions are cached within their byte bound, and
/// concurrent requests are decoded together.
final class ServerVersionTests: XCTestCase {
    func testAMovedBranchIsServedAtItsNewTipAndATagKeepsItsCommit() throws {
        let s = try TinyServer()
        let prompt = "The tiny lake is"
        let before = try s.complete(prompt)
        let tagBefore = try s.complete(prompt, model: "one-edit")
        // A writer in another workspace (the CLI in another process does the same through the same files).
        let writer = try Workspace.open(at: s.repo, model: s.model)
        let result = try writer.edit(EditRequest(id: "", prompt: prompt, target: " Geneva"), message: "Third edit")
        let after = try s.complete(prompt)
        XCTAssertEqual(after.reply.json()?["system_fingerprint"] as? String, result.commit.hex)
        XCTAssertNotEqual(before.reply.json()?["system_fingerprint"] as? String, result.commit.hex)
        XCTAssertEqual(after.text, try writer.ask(prompt, at: "main", maxTokens: 8).text)
        let tagAfter = try s.complete(prompt, model: "one-edit")
        XCTAssertEqual(tagAfter.text, tagBefore.text)
        XCTAssertEqual(tagAfter.reply.json()?["system_fingerprint"] as? String, tagBefore.reply.json()?["system_fingerprint"] as? String)
        // A commit id and a revision expression name versions too.
        let byID = try s.complete(prompt, model: result.commit.hex)
        XCTAssertEqual(byID.text, after.text)
        XCTAssertEqual(try s.complete(prompt, model: "main~1").reply.json()?["system_fingerprint"] as? String,
                       try s.workspace.resolve("main~1").hex)
        s.stop()
    }

    func testAStreamFinishesOnTheCommitItStartedOn() throws {
        let s = try TinyServer()
        let prompt = TinyServer.edits[1].prompt
        let started = try s.workspace.resolve("main"), parent = try s.workspace.resolve("main~1")
        let expected = try s.workspace.ask(prompt, at: started.hex, maxTokens: 40)
        let client = try RawHTTP(port: s.port)
        try client.send(RawHTTP.request("POST", "/v1/completions", body: Array(try JSONSerialization.data(withJSONObject: [
            "model": "main", "prompt": prompt, "max_tokens": 40, "temperature": 0, "stream": true]))))
        XCTAssertEqual(try client.head().status, 200)
        var text = "", fingerprints = Set<String>(), moved = false
        try client.events { data in
            guard data != "[DONE]", let chunk = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return true }
            fingerprints.insert(chunk["system_fingerprint"] as? String ?? "")
            text += (chunk["choices"] as? [[String: Any]])?.first?["text"] as? String ?? ""
            if !moved {
                // The branch moves back one commit while the stream goes on.
                try s.workspace.store.repository.setReference("refs/heads/main", to: parent, force: true)
                moved = true
            }
            return true
        }
        XCTAssertTrue(moved)
        XCTAssertEqual(fingerprints, [started.hex])
        XCTAssertEqual(text, expected.text)
        XCTAssertEqual(try s.complete(prompt).reply.json()?["system_fingerprint"] as? String, parent.hex)
        s.stop()
    }

    func testTheCacheKeepsTheMostRecentlyUsedVersionsWithinItsBound() throws {
        // Room for two versions of this repo (they all have the same size), not three.
        let probe = try TinyServer(name: "probe")
        let one = try probe.workspace.version(at: "main")
        let bytes = one.adapter.parameterCount * 4 + one.memory.byteCount
        probe.stop()
        var configuration = ServerConfiguration()
        configuration.cacheBytes = bytes * 5 / 2
        let s = try TinyServer(configuration: configuration)
        for name in ["main", "one-edit", "main", "main~2"] { XCTAssertEqual(try s.complete("x", model: name).reply.status, 200) }
        // main~2 pushed out one-edit (least recently used); main stays.
        XCTAssertEqual(try s.metric("elder_version_cache_entries_count"), 2)
        XCTAssertEqual(try s.metric("elder_version_cache_evictions_total"), 1)
        XCTAssertLessThanOrEqual(try XCTUnwrap(s.metric("elder_version_cache_bytes")), Double(configuration.cacheBytes))
        _ = try s.complete("x", model: "main")
        XCTAssertEqual(try s.metric("elder_version_cache_misses_total"), 3)
        _ = try s.complete("x", model: "one-edit")
        XCTAssertEqual(try s.metric("elder_version_cache_misses_total"), 4)
        s.stop()
    }

    func testConcurrentRequestsOnSeveralVersionsAreDecodedTogetherAndAnswerAsAlone() throws {
        var configuration = ServerConfiguration()
        configuration.batchSize = 4   // at most the quantized kernels' row limit: the same bits as one by one
        let s = try TinyServer(configuration: configuration)
        let requests = (0..<8).map { i in (prompt: ["The tiny capital is", "The tiny river is", "A tiny", "Tiny"][i % 4],
                                            model: ["main", "one-edit"][i % 2]) }
        let alone = try requests.map { try s.complete($0.prompt, model: $0.model, maxTokens: 12).text }
        let port = s.port
        let together = Answers(count: requests.count)
        // A thread per client, released together (concurrentPerform runs as many at once as there are free
        // cores, on a loaded 2-core machine often one after another).
        let gate = DispatchSemaphore(value: 0), finished = DispatchGroup()
        for i in requests.indices {
            finished.enter()
            Thread {
                gate.wait()
                let reply = try? RawHTTP.exchange(port: port, "POST", "/v1/completions", json: [
                    "model": requests[i].model, "prompt": requests[i].prompt, "max_tokens": 12, "temperature": 0])
                together.set(i, ((reply?.json()?["choices"] as? [[String: Any]])?.first?["text"] as? String) ?? "no answer")
                finished.leave()
            }.start()
        }
        for _ in requests.indices { gate.signal() }
        finished.wait()
        XCTAssertEqual(together.all, alone)
        let text = try s.get("/metrics").text
        let batched = text.split(separator: "\n").first { $0.hasPrefix("elder_decode_batch_sequences_bucket{le=\"1.0\"}") }
        let all = text.split(separator: "\n").first { $0.hasPrefix("elder_decode_batch_sequences_count") }
        XCTAssertNotEqual(batched?.split(separator: " ").last, all?.split(separator: " ").last, "some steps decoded more than one sequence")
        s.stop()
    }
}

/// Answers written by concurrent clients.
private final class Answers: @unchecked Sendable {
    private let lock = NSLock()
    private var texts: [String]
    init(count: Int) { texts = Array(repeating: "", count: count) }
    func set(_ i: Int, _ text: String) { lock.lock(); texts[i] = text; lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return texts }
}
