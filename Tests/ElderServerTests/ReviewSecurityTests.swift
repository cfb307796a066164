import Elder
import ElderServer
import ElderTestSupport
import Foundation
import XCTest

/// The review pages' defences, on the tiny model: a write without the access token (or from another site,
/// or without the page's form token) is refused with 403 and the repo is byte for byte what it was (the
/// `git` CLI's refs and objects); what people type is shown as text, never as HTML; a URL cannot name
/// anything outside the repo's versions.
final class ReviewSecurityTests: XCTestCase {
    static let token = "review-token-0123456789abcdef"

    func tokenServer(_ name: String = #function) throws -> (TinyServer, ReviewClient) {
        var configuration = ServerConfiguration()
        configuration.writeToken = Self.token
        let server = try TinyServer(configuration: configuration, name: name)
        return (server, ReviewClient(port: server.port))
    }

    /// The fields of a valid proposal, approval and revert (the form token read from the server's page).
    func writes(_ client: ReviewClient, _ s: TinyServer, token: String?, csrf: String?) throws -> [(String, [(String, String)])] {
        var common: [(String, String)] = [("name", "Mallory")]
        if let token { common.append(("token", token)) }
        if let csrf { common.append(("csrf", csrf)) }
        let editCommit = try s.workspace.resolve("main").hex
        return [("/propose", [("prompt", "The tiny lake is"), ("target", " Annecy"), ("action", "propose")] + common),
                ("/propose", [("prompt", "The tiny lake is"), ("target", " Annecy"), ("action", "check")] + common),
                ("/approve", [("branch", "proposal/x")] + common),
                ("/revert", [("commit", editCommit), ("branch", "main")] + common)]
    }

    func testEveryWriteWithoutTheTokenIsRefusedAndChangesNothing() throws {
        // A server started without --token-file refuses every write, whatever the request carries.
        let readOnly = try TinyServer()
        let client = ReviewClient(port: readOnly.port)
        // A read-only server's pages carry no form token: send a made-up one.
        let csrf = ReviewClient.formToken(in: try client.get("/propose").text) ?? "0123abcd"
        let before = try ReviewClient.gitState(readOnly.repo)
        for (path, fields) in try writes(client, readOnly, token: Self.token, csrf: csrf) {
            let reply = try client.post(path, fields)
            XCTAssertEqual(reply.status, 403, "\(path): \(reply.text.prefix(300))")
            XCTAssertTrue(reply.text.contains("without an access token"), path)
        }
        XCTAssertEqual(try ReviewClient.gitState(readOnly.repo), before, "a refused write changed the repo")
        XCTAssertFalse(try client.get("/propose").text.contains("type=\"password\""), "a read-only server offers no write form")
        readOnly.stop()

        // With a token: a missing token, a wrong one, a missing form token each refuse.
        let (s, c) = try tokenServer()
        let page = try c.get("/propose")
        XCTAssertEqual(page.status, 200)
        let formToken = try XCTUnwrap(ReviewClient.formToken(in: page.text))
        let state = try ReviewClient.gitState(s.repo)
        let cases: [(String, String?, String?)] = [("no token", nil, formToken), ("wrong token", "review-token-0123456789abcdeX", formToken),
                                                    ("no form token", Self.token, nil), ("wrong form token", Self.token, "00")]
        for (what, token, csrf) in cases {
            for (path, fields) in try writes(c, s, token: token, csrf: csrf) {
                let reply = try c.post(path, fields)
                XCTAssertEqual(reply.status, 403, "\(what) \(path): \(reply.text.prefix(300))")
            }
        }
        XCTAssertEqual(try ReviewClient.gitState(s.repo), state, "a refused write changed the repo")
        // The same proposal with everything right is taken: the refusals above were about the token alone.
        let accepted = try c.post("/propose", [("prompt", "The tiny lake is"), ("target", " Annecy"), ("action", "propose"),
                                               ("name", "Ann"), ("token", Self.token), ("csrf", formToken)])
        XCTAssertEqual(accepted.status, 200, accepted.text)
        XCTAssertNotEqual(try ReviewClient.gitState(s.repo), state)
        s.stop()
    }

    func testAFormPostedFromAnotherSiteIsRefused() throws {
        let (s, c) = try tokenServer()
        let formToken = try XCTUnwrap(ReviewClient.formToken(in: c.get("/propose").text))
        let state = try ReviewClient.gitState(s.repo)
        let fields = [("prompt", "The tiny lake is"), ("target", " Annecy"), ("action", "propose"), ("name", "Mallory"),
                      ("token", Self.token), ("csrf", formToken)]
        for headers in [["Origin": "http://evil.example"], ["Origin": "null"], ["Referer": "http://evil.example/page"],
                        ["Origin": "http://127.0.0.1.evil.example"], ["Referer": "http://127.0.0.1.evil.example/"]] {
            let reply = try c.post("/propose", fields, headers: headers)
            XCTAssertEqual(reply.status, 403, "\(headers): \(reply.text.prefix(300))")
            XCTAssertTrue(reply.text.contains("another site"), "\(headers)")
        }
        XCTAssertEqual(try ReviewClient.gitState(s.repo), state)
        s.stop()
    }

    func testWhatPeopleTypeIsShownAsText() throws {
        let (s, c) = try tokenServer()
        let formToken = try XCTUnwrap(ReviewClient.formToken(in: c.get("/propose").text))
        let script = "<script>alert('x')</script>"
        let reply = try c.post("/propose", [("prompt", "The tiny <b>lake</b> is"), ("target", " " + script), ("message", "Why: " + script),
                                            ("action", "propose"), ("name", "Ann <img src=x onerror=alert(1)>"),
                                            ("token", Self.token), ("csrf", formToken)])
        XCTAssertEqual(reply.status, 200, reply.text)
        let branch = try XCTUnwrap(ReviewClient.firstMatch(#"(proposal/e[0-9a-f]{12})"#, in: reply.text))
        let pages = [reply.text,
                     try c.get("/history" + ReviewClient.query([("branch", branch)])).text,
                     try c.get("/history" + ReviewClient.query([("branch", branch), ("q", "<script>")])).text,
                     try c.get("/commit/" + (try s.workspace.resolve(branch).hex)).text,
                     try c.get("/ask" + ReviewClient.query([("prompt", script), ("version", "main")])).text,
                     try c.get("/history" + ReviewClient.query([("branch", script)])).text,
                     try c.post("/propose", [("prompt", "x"), ("target", script), ("action", "check"), ("name", "Ann"),
                                             ("token", Self.token), ("csrf", formToken)]).text]
        for (i, html) in pages.enumerated() {
            XCTAssertFalse(html.contains("<script"), "page \(i) carries a script element: \(html)")
            XCTAssertFalse(html.contains("<b>lake"), "page \(i)")
            XCTAssertFalse(html.contains("<img"), "page \(i)")
        }
        XCTAssertTrue(pages[1].contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), "the target is shown as text")
        XCTAssertTrue(pages[3].contains("Why: &lt;script&gt;"), "the message is shown as text")
        XCTAssertTrue(pages[4].contains("&lt;script&gt;"), "the prompt is shown as text")
        // The commit holds the text as typed (git shows it), and the trailer names the proposer on one line.
        let body = try ReviewClient.gitLog(s.repo, branch, format: "%B", extra: ["-1"]).joined(separator: "\n")
        XCTAssertTrue(body.contains("Why: " + script), body)
        XCTAssertTrue(body.contains("Proposed-by: Ann <img src=x onerror=alert(1)>"), body)
        s.stop()
    }

    func testURLsCannotLeaveTheRepo() throws {
        let (s, c) = try tokenServer()
        let state = try ReviewClient.gitState(s.repo)
        let paths = ["/commit/..%2F..%2F..%2Fetc%2Fpasswd", "/commit/../../../etc/passwd", "/../../../../etc/passwd",
                     "/history?branch=../../../../etc/passwd", "/history?branch=%2Fetc%2Fpasswd", "/history?branch=main:elder.json",
                     "/commit/HEAD:elder.json", "/ask?version=main@%7B0%7D&prompt=x", "/compare?from=..%2Fmain&to=main",
                     "/history?branch=-h", "/commit/%00"]
        for path in paths {
            let reply = try c.get(path)
            XCTAssertTrue([400, 404].contains(reply.status), "\(path): \(reply.status)")
            XCTAssertFalse(reply.text.contains("root:x:0:0"), path)
            XCTAssertFalse(reply.text.contains("\"format\""), "\(path) showed a file of the repo's tree")
        }
        // A revert naming something that is no commit of main commits nothing.
        let formToken = try XCTUnwrap(ReviewClient.formToken(in: c.get("/propose").text))
        for target in ["../../etc/passwd", "HEAD:elder.json", "main~99"] {
            let reply = try c.post("/revert", [("commit", target), ("branch", "main"), ("name", "Ann"), ("token", Self.token), ("csrf", formToken)])
            XCTAssertEqual(reply.status, 404, "\(target): \(reply.text.prefix(400))")
        }
        XCTAssertEqual(try ReviewClient.gitState(s.repo), state)
        s.stop()
    }
}
