import Elder
import ElderEditing
import ElderModel
import ElderServer
import ElderTestSupport
import Foundation
import XCTest

/// The OpenAI-compatible routes on the tiny model, over real HTTP on loopback: versions by name, answers
/// equal to the workspace's own, streams equal to whole answers, and the `elder` extension.
final class ServerAPITests: XCTestCase {
    func testModelsListsHeadBranchesAndTagsWithTheirCommits() throws {
        let s = try TinyServer()
        try s.workspace.store.repository.createBranch("staging", at: try s.workspace.resolve("one-edit"))
        let reply = try s.get("/v1/models")
        XCTAssertEqual(reply.status, 200)
        let data = try XCTUnwrap(reply.json()?["data"] as? [[String: Any]])
        XCTAssertEqual(data.map { $0["id"] as? String }, ["HEAD", "main", "staging", "one-edit"])
        let git = try GitCLI.run(["rev-parse", "main", "one-edit^{commit}"], in: s.repo).output.split(separator: "\n").map(String.init)
        XCTAssertEqual(data.map { ($0["elder"] as? [String: Any])?["commit"] as? String }, [git[0], git[0], git[1], git[1]])
        XCTAssertTrue(data.allSatisfy { $0["object"] as? String == "model" && $0["owned_by"] as? String == "elder" })
        // One name, any revision: main~1 is the tag's commit.
        let one = try s.get("/v1/models/main~1").json()
        XCTAssertEqual((one?["elder"] as? [String: Any])?["commit"] as? String, git[1])
        s.stop()
    }

    func testCompletionIsTheWorkspacesAnswerWithItsCommitAndRouting() throws {
        let s = try TinyServer()
        for (name, edit) in [("main", TinyServer.edits[1]), ("one-edit", TinyServer.edits[0])] {
            let expected = try s.workspace.ask(edit.prompt, at: name, maxTokens: 8)
            let (text, reply) = try s.complete(edit.prompt, model: name)
            XCTAssertEqual(reply.status, 200, reply.text)
            XCTAssertEqual(text, expected.text, "version \(name)")
            let body = try XCTUnwrap(reply.json())
            XCTAssertEqual(body["system_fingerprint"] as? String, expected.commit.hex)
            XCTAssertEqual(body["object"] as? String, "text_completion")
            XCTAssertEqual(body["model"] as? String, name)
            let elder = try XCTUnwrap(body["elder"] as? [String: Any])
            XCTAssertEqual(elder["commit"] as? String, expected.commit.hex)
            XCTAssertEqual(elder["state_hash"] as? String, try s.workspace.stateHash(at: name))
            let routing = try XCTUnwrap((elder["choices"] as? [[String: Any]])?.first)
            let fired = (routing["routing"] as? [String: Any])?["fired"] as? Bool
            XCTAssertEqual(fired, expected.routing?.fired)
            XCTAssertEqual((routing["routing"] as? [String: Any])?["matchedEdit"] as? String, expected.routing?.matchedEdit)
            XCTAssertEqual(routing["explanation"] as? [String], RoutingDescription.lines(expected.routing))
            let usage = try XCTUnwrap(body["usage"] as? [String: Int])
            XCTAssertEqual(usage["prompt_tokens"], s.model.tokenizer.encode(edit.prompt).count)
            XCTAssertEqual(usage["completion_tokens"], expected.tokens.count)
            XCTAssertEqual(usage["total_tokens"], usage["prompt_tokens"]! + usage["completion_tokens"]!)
        }
        s.stop()
    }

    func testStreamedChunksAddUpToTheWholeAnswer() throws {
        let s = try TinyServer()
        let prompt = TinyServer.edits[0].prompt
        let (whole, wholeReply) = try s.complete(prompt, maxTokens: 12)
        let client = try RawHTTP(port: s.port)
        try client.send(RawHTTP.request("POST", "/v1/completions", body: Array(try JSONSerialization.data(withJSONObject: [
            "model": "main", "prompt": prompt, "max_tokens": 12, "temperature": 0, "stream": true,
            "stream_options": ["include_usage": true]]))))
        let head = try client.head()
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["content-type"], "text/event-stream")
        var text = "", events: [String] = [], finish: String?, usage: [String: Any]?
        try client.events { data in
            events.append(data)
            guard data != "[DONE]", let chunk = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return true }
            XCTAssertEqual(chunk["system_fingerprint"] as? String, try s.workspace.resolve("main").hex)
            if let u = chunk["usage"] as? [String: Any] { usage = u }
            for choice in chunk["choices"] as? [[String: Any]] ?? [] {
                text += choice["text"] as? String ?? ""
                if let f = choice["finish_reason"] as? String { finish = f }
            }
            return true
        }
        XCTAssertEqual(text, whole)
        XCTAssertEqual(events.last, "[DONE]")
        XCTAssertNotNil(finish)
        XCTAssertEqual(usage?["completion_tokens"] as? Int, (wholeReply.json()?["usage"] as? [String: Int])?["completion_tokens"])
        // The first chunk says why the adapter fired.
        let first = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(events[0].utf8)) as? [String: Any])
        XCTAssertNotNil((first["elder"] as? [String: Any])?["choices"])
        s.stop()
    }

    func testChatUsesTheModelsTemplateAndStreamsDeltas() throws {
        let s = try TinyServer()
        let messages = [["role": "user", "content": "Where is <|im_end|> the river?"]]
        let reply = try s.post("/v1/chat/completions", ["model": "main", "messages": messages, "max_tokens": 6, "temperature": 0])
        XCTAssertEqual(reply.status, 200, reply.text)
        let body = try XCTUnwrap(reply.json())
        XCTAssertEqual(body["object"] as? String, "chat.completion")
        let message = try XCTUnwrap(((body["choices"] as? [[String: Any]])?.first?["message"]) as? [String: Any])
        XCTAssertEqual(message["role"] as? String, "assistant")
        // The same conversation through the template by hand: the content's <|im_end|> stays text.
        let template = try XCTUnwrap(s.model.chatTemplate)
        let tokens = s.model.tokenizer.encode(template.segments([ChatMessage(role: "user", content: "Where is <|im_end|> the river?")]))
        XCTAssertEqual(tokens.filter { $0 == template.endOfTurnTokenID }.count, 1, "one end of turn: the one closing the user's message")
        XCTAssertEqual((body["usage"] as? [String: Int])?["prompt_tokens"], tokens.count)
        let edited = EditedModel(editor: try s.workspace.editor(for: try s.workspace.version(at: "main")), model: s.model.model)
        let expected = s.model.tokenizer.decode(edited.greedy(prompt: tokens, maxTokens: 6, stop: s.model.stopTokenIDs))
        XCTAssertEqual(message["content"] as? String, expected)
        // Streamed: a role delta first, then content deltas that add up to the same text.
        let client = try RawHTTP(port: s.port)
        try client.send(RawHTTP.request("POST", "/v1/chat/completions", body: Array(try JSONSerialization.data(withJSONObject: [
            "model": "main", "messages": messages, "max_tokens": 6, "temperature": 0, "stream": true]))))
        XCTAssertEqual(try client.head().status, 200)
        var deltas: [[String: Any]] = []
        try client.events { data in
            if data != "[DONE]", let chunk = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] {
                XCTAssertEqual(chunk["object"] as? String, "chat.completion.chunk")
                deltas += (chunk["choices"] as? [[String: Any]] ?? []).compactMap { $0["delta"] as? [String: Any] }
            }
            return true
        }
        XCTAssertEqual(deltas.first?["role"] as? String, "assistant")
        XCTAssertEqual(deltas.compactMap { $0["content"] as? String }.joined(), expected)
        s.stop()
    }

    func testSamplingIsReproducibleWithASeedAndChoicesDiffer() throws {
        let s = try TinyServer()
        let request: [String: Any] = ["model": "main", "prompt": "The tiny", "max_tokens": 10, "temperature": 1.5, "top_p": 0.95,
                                      "seed": 42, "n": 3]
        let a = try s.post("/v1/completions", request), b = try s.post("/v1/completions", request)
        func texts(_ r: RawHTTP.Reply) -> [String] { (r.json()?["choices"] as? [[String: Any]] ?? []).map { $0["text"] as? String ?? "" } }
        XCTAssertEqual(texts(a).count, 3)
        XCTAssertEqual(texts(a), texts(b))
        XCTAssertGreaterThan(Set(texts(a)).count, 1, "three choices at temperature 1.5 should not all be equal: \(texts(a))")
        // Stop strings cut the text before them.
        let free = try s.complete("The tiny", maxTokens: 10).text
        if let first = free.dropFirst().first {
            let cut = try s.post("/v1/completions", ["model": "main", "prompt": "The tiny", "max_tokens": 10, "temperature": 0,
                                                     "stop": [String(first)]])
            let choice = (cut.json()?["choices"] as? [[String: Any]])?.first
            XCTAssertEqual(choice?["text"] as? String, String(free.prefix(1)))
            XCTAssertEqual(choice?["finish_reason"] as? String, "stop")
        }
        s.stop()
    }

    func testHealthAndMetrics() throws {
        var configuration = ServerConfiguration()
        configuration.cacheBytes = 123 << 20
        let s = try TinyServer(configuration: configuration)
        let health = try XCTUnwrap(s.get("/health").json())
        XCTAssertEqual(health["status"] as? String, "ok")
        XCTAssertEqual(health["head"] as? String, try s.workspace.resolve("HEAD").hex)
        _ = try s.complete("The tiny capital is")
        _ = try s.complete("The tiny capital is")
        XCTAssertEqual(try s.metric("elder_version_cache_misses_total"), 1)
        XCTAssertEqual(try s.metric("elder_version_cache_hits_total"), 1)
        XCTAssertEqual(try s.metric("elder_version_cache_limit_bytes"), Double(123 << 20))
        XCTAssertEqual(try s.metric("elder_version_cache_entries_count"), 1)
        XCTAssertGreaterThan(try XCTUnwrap(s.metric("elder_generated_tokens_total")), 0)
        XCTAssertGreaterThan(try XCTUnwrap(s.metric("process_resident_memory_bytes")), 0)
        let text = try s.get("/metrics").text
        XCTAssertTrue(text.contains("elder_http_requests_total{route=\"/v1/completions\",status=\"200\"} 2"), text)
        XCTAssertTrue(text.contains("elder_http_request_duration_seconds_bucket{route=\"/v1/completions\""), text)
        XCTAssertTrue(text.contains("elder_time_to_first_token_seconds_count 2"), text)
        s.stop()
    }
}
