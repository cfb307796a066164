import Elder
import ElderServer
import ElderTestSupport
import Foundation
import XCTest

/// Bad input gets OpenAI's error shape with the right status, and nothing a client sends crashes the server
/// or changes the repo. (A client that goes away mid-stream: `ServeEndToEndTests`, where generation is slow
/// enough to be interrupted.)
final class ServerErrorTests: XCTestCase {
    func assertError(_ reply: RawHTTP.Reply, status: Int, param: String? = nil, code: String? = nil, containing fragment: String? = nil,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(reply.status, status, reply.text, file: file, line: line)
        guard let error = reply.error else { return XCTFail("no OpenAI error body: \(reply.text)", file: file, line: line) }
        XCTAssertNotNil(error["message"] as? String, file: file, line: line)
        XCTAssertNotNil(error["type"] as? String, file: file, line: line)
        XCTAssertTrue(error.keys.contains("param") && error.keys.contains("code"), "\(error)", file: file, line: line)
        if let param { XCTAssertEqual(error["param"] as? String, param, file: file, line: line) }
        if let code { XCTAssertEqual(error["code"] as? String, code, file: file, line: line) }
        if let fragment {
            XCTAssertTrue((error["message"] as? String ?? "").contains(fragment), "\(error)", file: file, line: line)
        }
    }

    func testEachKindOfBadInputGetsItsStatus() throws {
        var configuration = ServerConfiguration()
        configuration.maxBodyBytes = 4096
        configuration.maxPromptBytes = 2000
        let s = try TinyServer(configuration: configuration)
        let port = s.port
        func post(_ path: String = "/v1/completions", raw: String) throws -> RawHTTP.Reply {
            try RawHTTP.exchange(port: port, "POST", path, raw: Array(raw.utf8))
        }
        assertError(try post(raw: "{\"model\": \"main\", \"prompt\": "), status: 400, containing: "JSON")
        assertError(try post(raw: ""), status: 400, containing: "empty")
        assertError(try post(raw: "[1, 2]"), status: 400)
        assertError(try s.post("/v1/completions", ["prompt": "x"]), status: 400, param: "model")
        assertError(try s.post("/v1/completions", ["model": "main"]), status: 400, param: "prompt")
        assertError(try s.post("/v1/completions", ["model": "main", "prompt": "x", "temperature": "hot"]), status: 400, param: "temperature")
        assertError(try s.post("/v1/completions", ["model": "main", "prompt": "x", "temperature": 3]), status: 400, param: "temperature")
        assertError(try s.post("/v1/completions", ["model": "main", "prompt": "x", "top_p": 1.5]), status: 400, param: "top_p")
        assertError(try s.post("/v1/completions", ["model": "main", "prompt": "x", "n": 100]), status: 400, param: "n")
        assertError(try s.post("/v1/completions", ["model": "main", "prompt": "x", "logprobs": 3]), status: 400, code: "unsupported_parameter")
        assertError(try s.post("/v1/completions", ["model": "main", "prompt": [70000]]), status: 400, containing: "vocabulary")
        assertError(try s.post("/v1/completions", ["model": "main", "prompt": ""]), status: 400, containing: "empty")
        assertError(try s.post("/v1/chat/completions", ["model": "main", "messages": [["role": "tool", "content": "x"]]]),
                    status: 400, param: "messages[0].role")
        // Unknown version: 404 with the refs that exist.
        let unknown = try s.post("/v1/completions", ["model": "no-such-branch", "prompt": "x"])
        assertError(unknown, status: 404, param: "model", code: "model_not_found", containing: "one-edit")
        XCTAssertEqual(unknown.error?["refs"] as? [String], ["HEAD", "main", "one-edit"])
        assertError(try s.get("/v1/models/nope"), status: 404, code: "model_not_found")
        // The context of the tiny model is 128 tokens.
        let long = String(repeating: "ab ", count: 200)
        assertError(try s.post("/v1/completions", ["model": "main", "prompt": long]), status: 400, code: "context_length_exceeded")
        assertError(try s.post("/v1/completions", ["model": "main", "prompt": String(repeating: "ab ", count: 800)]), status: 400,
                    code: "context_length_exceeded", containing: "bytes")
        assertError(try s.post("/v1/completions", ["model": "main", "prompt": "x", "max_tokens": 500]), status: 400,
                    param: "max_tokens", code: "context_length_exceeded")
        assertError(try s.post("/v1/completions", ["model": "main", "prompt": "x", "max_tokens": 0]), status: 400, param: "max_tokens")
        assertError(try s.post("/v1/completions", ["model": "main", "prompt": "x", "max_tokens": -5]), status: 400, param: "max_tokens")
        assertError(try s.post("/v1/completions", ["model": "main", "prompt": String(repeating: "x", count: 5000)]), status: 413)
        assertError(try s.get("/v1/nothing"), status: 404, code: "unknown_url")
        assertError(try s.get("/v1/completions"), status: 404)
        s.stop()
    }

    func testTwoHundredMalformedRequestsNeitherCrashNorWrite() throws {
        var configuration = ServerConfiguration()
        configuration.maxBodyBytes = 64 << 10
        let s = try TinyServer(configuration: configuration)
        let before = try s.repoSnapshot()
        let requests = MalformedRequests.make(count: 200, seed: 19)
        XCTAssertEqual(requests.count, 200)
        var statuses: [Int: Int] = [:]
        for request in requests {
            let client = try RawHTTP(port: s.port, timeoutSeconds: 30)
            try? client.send(request.bytes)
            guard let reply = try? client.reply() else { statuses[0, default: 0] += 1; continue }
            statuses[reply.status, default: 0] += 1
            XCTAssertTrue((400..<500).contains(reply.status), "\(request.kind): \(reply.status) \(reply.text.prefix(200))")
            if reply.status != 400 || !reply.body.isEmpty { XCTAssertNotNil(reply.error, "\(request.kind): \(reply.text.prefix(200))") }
        }
        // Still serving, the same answers, nothing written.
        XCTAssertEqual(try s.complete(TinyServer.edits[0].prompt).reply.status, 200)
        XCTAssertEqual(try s.get("/health").status, 200)
        XCTAssertEqual(try s.repoSnapshot(), before)
        XCTAssertEqual(try GitCLI.run(["fsck", "--strict"], in: s.repo).status, 0)
        print("malformed requests by status: \(statuses.sorted { $0.key < $1.key })")
        s.stop()
    }
}
