import ElderTestSupport
import Foundation
import XCTest

/// `elder serve` on a real knowledge repo with the real SmolLM2 model, in its own process, with real
/// clients: the official `openai` Python package, curl, and raw sockets for the faults. Release build.
final class ServeEndToEndTests: XCTestCase {
    /// A knowledge repo made by the CLI, with tag `before` on its first state and branch `moving`.
    func makeRepo() throws -> String {
        let modelPath = try RealModel.requirePath()
        let folder = temporaryFolder()
        let repo = folder + "/facts"
        XCTAssertSucceeded(try ElderProcess.run(["init", repo, "--model", modelPath], in: folder))
        XCTAssertSucceeded(try ElderProcess.run(["tag", "before", "-m", "before any edit"], in: repo))
        XCTAssertSucceeded(try ElderProcess.run(["branch", "moving"], in: repo))
        return repo
    }

    func requireOpenAIPackage() throws {
        let check = try runProgram("/usr/bin/env", ["python3", "-c", "import openai; print(openai.__version__)"])
        guard check.status == 0 else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("the openai Python package is missing: bash .ci/install-deps.sh") }
            throw XCTSkip("the openai Python package is missing (pip install openai)")
        }
    }

    /// The official client: greedy completions of `prompt` by each of `models`, then a streamed chat by
    /// the first, then an unknown model (which must raise NotFoundError).
    static let clientScript = """
        import json, sys, openai
        client = openai.OpenAI(base_url=sys.argv[1], api_key="unused", max_retries=0, timeout=600)
        prompt, models = sys.argv[2], sys.argv[3:]
        completions = {}
        for model in models:
            r = client.completions.create(model=model, prompt=prompt, max_tokens=4, temperature=0)
            completions[model] = {"text": r.choices[0].text, "fingerprint": r.system_fingerprint,
                                  "finish": r.choices[0].finish_reason, "elder": (r.model_extra or {}).get("elder")}
        stream = client.chat.completions.create(model=models[0], max_tokens=12, temperature=0, stream=True,
            messages=[{"role": "user", "content": "What is the capital of France?"}])
        chat, fingerprints = "", set()
        for chunk in stream:
            fingerprints.add(chunk.system_fingerprint)
            for choice in chunk.choices:
                chat += choice.delta.content or ""
        try:
            client.completions.create(model="no-such-version", prompt=prompt, max_tokens=1)
            missing = None
        except openai.NotFoundError as error:
            missing = {"status": error.status_code, "message": error.body.get("message") if isinstance(error.body, dict) else str(error.body)}
        print(json.dumps({"completions": completions, "chat": chat, "chat_fingerprints": sorted(fingerprints), "missing": missing}))
        """

    func openAI(_ server: ServedRepo, prompt: String, models: [String]) throws -> [String: Any] {
        let script = temporaryFolder() + "/client.py"
        try Self.clientScript.write(toFile: script, atomically: true, encoding: .utf8)
        let run = try runProgram("/usr/bin/env", ["python3", script, server.baseURL, prompt] + models)
        XCTAssertEqual(run.status, 0, run.stderr)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout + run.stderr)
    }

    func testAnEditFromAnotherProcessIsServedAtOnceWhileATagKeepsTheOldAnswer() throws {
        let repo = try makeRepo()
        try requireOpenAIPackage()
        let server = try ServedRepo(repo: repo)
        let prompt = "The capital of France is"
        let first = try openAI(server, prompt: prompt, models: ["main", "before"])
        let firstCompletions = try XCTUnwrap(first["completions"] as? [String: [String: Any]])
        let oldAnswer = try XCTUnwrap(firstCompletions["before"]?["text"] as? String)
        XCTAssertEqual(firstCompletions["main"]?["text"] as? String, oldAnswer)
        XCTAssertFalse(oldAnswer.hasPrefix(" Lyon"), "the base model already answers Lyon: \(oldAnswer)")

        // The CLI edits main in another process while the server runs.
        XCTAssertSucceeded(try ElderProcess.run(["edit", prompt, " Lyon", "-m", "France moves its capital"], in: repo))
        let tip = try GitCLI.run(["rev-parse", "main"], in: repo).output
        let tag = try GitCLI.run(["rev-parse", "before^{commit}"], in: repo).output

        let after = try openAI(server, prompt: prompt, models: ["main", "before"])
        let completions = try XCTUnwrap(after["completions"] as? [String: [String: Any]])
        XCTAssertTrue((completions["main"]?["text"] as? String ?? "").hasPrefix(" Lyon"), "\(completions)")
        XCTAssertEqual(completions["main"]?["fingerprint"] as? String, tip)
        XCTAssertEqual(completions["before"]?["text"] as? String, oldAnswer)
        XCTAssertEqual(completions["before"]?["fingerprint"] as? String, tag)
        // Why: the edit fired on main, and nothing is live at the tag.
        let routing = { (model: String) -> [String: Any]? in
            ((completions[model]?["elder"] as? [String: Any])?["choices"] as? [[String: Any]])?.first?["routing"] as? [String: Any]
        }
        XCTAssertEqual(routing("main")?["fired"] as? Bool, true)
        XCTAssertNotNil(routing("main")?["matchedEdit"] as? String)
        XCTAssertEqual(routing("before")?["fired"] as? Bool, false)
        XCTAssertEqual(after["chat_fingerprints"] as? [String], [tip])
        XCTAssertFalse((after["chat"] as? String ?? "").isEmpty)
        XCTAssertEqual((after["missing"] as? [String: Any])?["status"] as? Int, 404)
        XCTAssertTrue(((after["missing"] as? [String: Any])?["message"] as? String ?? "").contains("before"))

        // curl, streaming, as the README shows it.
        let curl = try runProgram("/usr/bin/env", ["curl", "-sN", server.baseURL + "/completions", "-H", "Content-Type: application/json", "-d",
                                                   "{\"model\": \"main\", \"prompt\": \"\(prompt)\", \"max_tokens\": 4, \"temperature\": 0, \"stream\": true}"])
        XCTAssertEqual(curl.status, 0, curl.stderr)
        let events = curl.stdout.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        XCTAssertEqual(events.last, "[DONE]")
        let streamed = events.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .flatMap { ($0["choices"] as? [[String: Any]]) ?? [] }.compactMap { $0["text"] as? String }.joined()
        XCTAssertEqual(streamed, completions["main"]?["text"] as? String)
        XCTAssertEqual(server.terminate(), 0)
        XCTAssertEqual(try GitCLI.run(["fsck", "--strict"], in: repo).status, 0)
    }

    func testAClientDroppedMidStreamStopsItsGeneration() throws {
        let server = try ServedRepo(repo: try makeRepo())
        let before = try XCTUnwrap(server.metric("elder_generated_tokens_total"))
        do {
            let client = try RawHTTP(port: server.port)
            try client.send(RawHTTP.request("POST", "/v1/completions", body: Array(try JSONSerialization.data(withJSONObject: [
                "model": "main", "prompt": "1, 2, 3, 4, 5,", "max_tokens": 400, "temperature": 0, "stream": true]))))
            XCTAssertEqual(try client.head().status, 200)
            var events = 0
            try client.events { _ in events += 1; return events < 4 }
        }   // the connection closes here, mid-stream
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, try server.metric("elder_cancelled_sequences_total") != 1 { usleep(50_000) }
        XCTAssertEqual(try server.metric("elder_cancelled_sequences_total"), 1)
        let stopped = try XCTUnwrap(server.metric("elder_generated_tokens_total")) - before
        usleep(500_000)
        XCTAssertEqual(try XCTUnwrap(server.metric("elder_generated_tokens_total")) - before, stopped, "generation went on")
        XCTAssertLessThan(stopped, 400)
        XCTAssertEqual(try server.metric("elder_running_sequences_count"), 0)
        XCTAssertEqual(server.terminate(), 0)
    }

    func testABranchMovedDuringAStreamFinishesOnTheCommitItStartedOn() throws {
        let repo = try makeRepo()
        XCTAssertSucceeded(try ElderProcess.run(["checkout", "moving"], in: repo))
        XCTAssertSucceeded(try ElderProcess.run(["edit", "The capital of France is", " Lyon", "-m", "On the moving branch"], in: repo))
        XCTAssertSucceeded(try ElderProcess.run(["checkout", "main"], in: repo))
        let started = try GitCLI.run(["rev-parse", "moving"], in: repo).output
        let root = try GitCLI.run(["rev-parse", "before^{commit}"], in: repo).output
        let server = try ServedRepo(repo: repo)
        let request: [String: Any] = ["model": "moving", "prompt": "The capital of France is", "max_tokens": 40, "temperature": 0]
        let expected = try RawHTTP.exchange(port: server.port, "POST", "/v1/completions", json: request.merging(["model": started]) { $1 })
        let expectedText = (expected.json()?["choices"] as? [[String: Any]])?.first?["text"] as? String

        let client = try RawHTTP(port: server.port)
        try client.send(RawHTTP.request("POST", "/v1/completions",
                                        body: Array(try JSONSerialization.data(withJSONObject: request.merging(["stream": true]) { $1 }))))
        XCTAssertEqual(try client.head().status, 200)
        var text = "", fingerprints = Set<String>(), moved = false
        try client.events { data in
            guard data != "[DONE]", let chunk = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return true }
            fingerprints.insert(chunk["system_fingerprint"] as? String ?? "")
            text += (chunk["choices"] as? [[String: Any]])?.first?["text"] as? String ?? ""
            if !moved, !text.isEmpty {
                // git, in another process, moves the branch while the stream goes on.
                XCTAssertEqual(try GitCLI.run(["update-ref", "refs/heads/moving", root, started], in: repo).status, 0)
                moved = true
            }
            return true
        }
        XCTAssertTrue(moved)
        XCTAssertEqual(fingerprints, [started])
        XCTAssertEqual(text, expectedText)
        let next = try RawHTTP.exchange(port: server.port, "POST", "/v1/completions", json: request)
        XCTAssertEqual(next.json()?["system_fingerprint"] as? String, root)
        XCTAssertEqual(server.terminate(), 0)
        XCTAssertEqual(try GitCLI.run(["fsck", "--strict"], in: repo).status, 0)
    }

    func testTwoHundredMalformedRequestsLeaveTheServerServingAndTheRepoUnchanged() throws {
        let repo = try makeRepo()
        let refs = try GitCLI.run(["show-ref"], in: repo).output
        let server = try ServedRepo(repo: repo)
        var statuses: [Int: Int] = [:]
        for request in MalformedRequests.make(count: 200, seed: 25) {
            let client = try RawHTTP(port: server.port, timeoutSeconds: 60)
            try? client.send(request.bytes)
            guard let reply = try? client.reply() else { statuses[0, default: 0] += 1; continue }
            statuses[reply.status, default: 0] += 1
            XCTAssertTrue((400..<500).contains(reply.status), "\(request.kind): \(reply.status) \(reply.text.prefix(200))")
        }
        print("malformed requests by status: \(statuses.sorted { $0.key < $1.key })")
        XCTAssertTrue(server.running.process.isRunning)
        let answer = try RawHTTP.exchange(port: server.port, "POST", "/v1/completions", json: MalformedRequests.valid)
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(server.terminate(), 0)
        XCTAssertEqual(try GitCLI.run(["show-ref"], in: repo).output, refs)
        XCTAssertEqual(try GitCLI.run(["fsck", "--strict"], in: repo).status, 0)
    }

    func testSIGTERMLetsTheRequestsInFlightFinishAndExitsCleanly() throws {
        let repo = try makeRepo()
        let server = try ServedRepo(repo: repo)
        let port = server.port
        let maxTokens = 48
        let group = DispatchGroup()
        let results = Results()
        let firstEvents = DispatchSemaphore(value: 0)
        for i in 0..<3 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                do {
                    let client = try RawHTTP(port: port)
                    try client.send(RawHTTP.request("POST", "/v1/completions", body: Array(try JSONSerialization.data(withJSONObject: [
                        "model": ["main", "before", "moving"][i], "prompt": "1, 2, 3, 4, 5,", "max_tokens": maxTokens,
                        "temperature": 0, "stream": true, "stream_options": ["include_usage": true]]))))
                    guard try client.head().status == 200 else { return }
                    var signalled = false, done = false, tokens = 0
                    try client.events { data in
                        if !signalled { signalled = true; firstEvents.signal() }
                        if data == "[DONE]" { done = true }
                        if let chunk = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
                           let usage = chunk["usage"] as? [String: Any] { tokens = usage["completion_tokens"] as? Int ?? 0 }
                        return true
                    }
                    results.add(done: done, tokens: tokens)
                } catch {
                    results.add(done: false, tokens: -1)
                }
            }
        }
        for _ in 0..<3 { XCTAssertEqual(firstEvents.wait(timeout: .now() + 300), .success) }
        kill(server.running.process.processIdentifier, SIGTERM)
        XCTAssertEqual(group.wait(timeout: .now() + 300), .success)
        server.running.process.waitUntilExit()
        XCTAssertEqual(server.running.process.terminationStatus, 0, server.running.stderr.suffix(2000).description)
        XCTAssertEqual(results.all.map(\.done), [true, true, true], "every stream in flight finished")
        XCTAssertEqual(results.all.map(\.tokens), [maxTokens, maxTokens, maxTokens])
        XCTAssertThrowsError(try RawHTTP(port: port), "nothing listens after the exit")
        XCTAssertEqual(try GitCLI.run(["fsck", "--strict"], in: repo).status, 0)
    }
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var all: [(done: Bool, tokens: Int)] = []
    func add(done: Bool, tokens: Int) { lock.lock(); all.append((done, tokens)); lock.unlock() }
}
