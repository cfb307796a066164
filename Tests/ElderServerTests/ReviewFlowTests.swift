import Elder
import ElderServer
import ElderTestSupport
import Foundation
import XCTest

/// The review pages on the tiny model, by plain HTTP, each step checked with the `git` CLI: the four read
/// pages show the repo's history, an edit, a comparison and an answer; propose → approve → revert land
/// through the workspace; a person's mistakes (an answer without its leading space, an edit that breaks a
/// probe, a conflict at approval) are explained on the page and commit nothing.
final class ReviewFlowTests: XCTestCase {
    static let token = ReviewSecurityTests.token

    func server(probes: [String] = [], _ name: String = #function) throws -> (TinyServer, ReviewClient, String) {
        var configuration = ServerConfiguration()
        configuration.writeToken = Self.token
        let s = try TinyServer(configuration: configuration, probes: probes, name: name)
        let c = ReviewClient(port: s.port)
        let formToken = try XCTUnwrap(ReviewClient.formToken(in: c.get("/propose").text))
        return (s, c, formToken)
    }

    func testReadPagesShowTheRepo() throws {
        let (s, c, _) = try server(probes: [#"{"prompt": "The tiny capital is", "expected": " Lyon"}"#, #"{"prompt": "The weather is"}"#])
        let history = try c.get("/history")
        XCTAssertEqual(history.status, 200)
        XCTAssertEqual(history.headers["content-type"], "text/html; charset=utf-8")
        XCTAssertTrue(history.headers["content-security-policy"]?.contains("default-src 'none'") == true)
        XCTAssertTrue(history.text.contains("<meta name=\"viewport\""))
        let log = try ReviewClient.gitLog(s.repo, "main", format: "%H")
        XCTAssertTrue(history.text.contains("\(log.count) commits on main"), history.text)
        for hex in log { XCTAssertTrue(history.text.contains("/commit/\(hex)"), "history lists \(hex)") }
        for edit in TinyServer.edits { XCTAssertTrue(history.text.contains("“\(edit.target)”") && history.text.contains(edit.prompt)) }
        let filtered = try c.get("/history" + ReviewClient.query([("q", "rhone")])).text
        XCTAssertTrue(filtered.contains("1 of \(log.count) commits on main match"), filtered)
        XCTAssertFalse(filtered.contains("“ Lyon”"))

        let edit = try c.get("/commit/" + log[0]).text
        XCTAssertTrue(edit.contains("Second edit") && edit.contains("Reliability") && edit.contains("automatic rewording"), edit)
        let answer = try s.workspace.ask(TinyServer.edits[1].prompt, at: log[0], maxTokens: 12)
        XCTAssertTrue(edit.contains(RoutingDescription.lines(answer.routing)[0].replacingOccurrences(of: "—", with: "—")), edit)
        XCTAssertTrue(edit.contains("action=\"/revert\""))

        let compare = try c.get("/compare" + ReviewClient.query([("from", "one-edit"), ("to", "main")])).text
        XCTAssertTrue(compare.contains(">added<") && compare.contains(TinyServer.edits[1].prompt), compare)
        XCTAssertTrue(compare.contains("The weather is") && compare.contains("probes answer differently"), compare)
        let root = try c.get("/compare" + ReviewClient.query([("from", "main~2"), ("to", "main")])).text
        let before = try s.workspace.ask("The tiny capital is", at: "main~2", maxTokens: 8).text
        XCTAssertTrue(root.contains("“\(before)”") && root.contains("<span class=\"tag\">changed</span>"), root)

        let ask = try c.get("/ask" + ReviewClient.query([("prompt", TinyServer.edits[0].prompt), ("version", "one-edit")])).text
        let expected = try s.workspace.ask(TinyServer.edits[0].prompt, at: "one-edit", maxTokens: 16)
        XCTAssertTrue(ask.contains("<strong class=\"answer\">\(expected.text.htmlEscapedForTest)</strong>"), ask)
        XCTAssertTrue(ask.contains(expected.commit.short))
        XCTAssertEqual(try c.get("/ask" + ReviewClient.query([("prompt", "x"), ("version", "nope")])).status, 404)
        s.stop()
    }

    func testProposeApproveRevertEachCheckedWithGit() throws {
        let (s, c, formToken) = try server()
        let prompt = "The tiny mountain is", target = " Blanc"
        let baseAnswer = try s.workspace.ask(prompt, at: "main", maxTokens: 16).text
        let mainBefore = try ReviewClient.gitLog(s.repo, "main", format: "%H")

        // A check commits nothing.
        let check = try c.post("/propose", [("prompt", prompt), ("target", target), ("action", "check"), ("name", "Ann"),
                                            ("token", Self.token), ("csrf", formToken)])
        XCTAssertEqual(check.status, 200, check.text)
        XCTAssertTrue(check.text.contains("nothing committed"), check.text)
        XCTAssertEqual(try GitCLI.lines(["--git-dir", s.repo, "branch", "--list", "proposal/*"], in: "/"), [])

        // Propose: a new branch with one commit over main, naming the proposer.
        let proposed = try c.post("/propose", [("prompt", prompt), ("target", target), ("message", "The tallest"), ("action", "propose"),
                                               ("name", "Ann Proposer"), ("token", Self.token), ("csrf", formToken)])
        XCTAssertEqual(proposed.status, 200, proposed.text)
        let branch = try XCTUnwrap(ReviewClient.firstMatch(#"(proposal/e[0-9a-f]{12})"#, in: proposed.text))
        XCTAssertEqual(try ReviewClient.gitLog(s.repo, "main", format: "%H"), mainBefore, "main moved on a proposal")
        let onBranch = try ReviewClient.gitLog(s.repo, "main.." + branch, format: "%s|%(trailers:key=Proposed-by,valueonly,separator=)")
        XCTAssertEqual(onBranch, ["The tallest|Ann Proposer"])

        // Approve: a merge commit on main with both parents, naming the approver.
        let approved = try c.post("/approve", [("branch", branch), ("name", "Bea Approver"), ("token", Self.token), ("csrf", formToken)])
        XCTAssertEqual(approved.status, 200, approved.text)
        let merge = try ReviewClient.gitLog(s.repo, "main", format: "%P|%(trailers:key=Approved-by,valueonly,separator=)|%s", extra: ["-1"])
        XCTAssertEqual(merge.count, 1)
        let parts = merge[0].split(separator: "|").map(String.init)
        XCTAssertEqual(parts[0].split(separator: " ").map(String.init), [mainBefore[0], try s.workspace.resolve(branch).hex])
        XCTAssertEqual(parts[1], "Bea Approver")
        let answered = try c.get("/ask" + ReviewClient.query([("prompt", prompt), ("version", "main")])).text
        XCTAssertTrue(answered.contains("<strong class=\"answer\">\(target)"), answered)

        // Revert the edit from its page's form: main answers as before the edit.
        let editCommit = try s.workspace.resolve(branch).hex
        let page = try c.get("/commit/" + editCommit).text
        XCTAssertTrue(page.contains("name=\"commit\" value=\"\(editCommit)\""), page)
        let reverted = try c.post("/revert", [("commit", editCommit), ("branch", "main"), ("name", "Bea Approver"),
                                              ("token", Self.token), ("csrf", formToken)])
        XCTAssertEqual(reverted.status, 200, reverted.text)
        let revert = try ReviewClient.gitLog(s.repo, "main", format: "%(trailers:key=Reverts,valueonly,separator=)|%(trailers:key=Approved-by,valueonly,separator=)", extra: ["-1"])
        XCTAssertEqual(revert, ["\(editCommit)|Bea Approver"])
        XCTAssertEqual(try s.workspace.ask(prompt, at: "main", maxTokens: 16).text, baseAnswer)
        s.stop()
    }

    func testMistakesAreExplainedAndCommitNothing() throws {
        let (s, c, formToken) = try server(probes: [#"{"prompt": "The tiny capital is", "expected": " Lyon"}"#])
        let state = try ReviewClient.gitState(s.repo)
        func propose(_ prompt: String, _ target: String) throws -> RawHTTP.Reply {
            try c.post("/propose", [("prompt", prompt), ("target", target), ("action", "propose"), ("name", "Ann"),
                                    ("token", Self.token), ("csrf", formToken)])
        }
        let glued = try propose("The tiny lake is", "Annecy")
        XCTAssertEqual(glued.status, 400)
        XCTAssertTrue(glued.text.contains("The answer must start with a space") && glued.text.contains("Nothing was committed"), glued.text)
        XCTAssertTrue(glued.text.contains("value=\"Annecy\""), "the form keeps what was typed")
        let breaks = try propose("The tiny capital is", " Paris")
        XCTAssertEqual(breaks.status, 422, breaks.text)
        XCTAssertTrue(breaks.text.contains("would break 1 of the repo&#39;s probe") && breaks.text.contains("The tiny capital is"), breaks.text)
        XCTAssertEqual(try ReviewClient.gitState(s.repo), state, "a refused proposal left a branch or a commit")

        // Two proposals give one prompt two answers: the second approval is a conflict, nothing merged.
        try FileManager.default.removeItem(atPath: s.repo + "/probes.jsonl")
        let first = try propose("The tiny lake is", " Annecy"), second = try propose("The tiny lake is", " Geneva")
        XCTAssertEqual(first.status, 200, first.text)
        XCTAssertEqual(second.status, 200, second.text)
        let branches = try [first, second].map { try XCTUnwrap(ReviewClient.firstMatch(#"(proposal/e[0-9a-f]{12})"#, in: $0.text)) }
        XCTAssertEqual(try c.post("/approve", [("branch", branches[0]), ("name", "Bea"), ("token", Self.token), ("csrf", formToken)]).status, 200)
        let merged = try ReviewClient.gitState(s.repo)
        let conflict = try c.post("/approve", [("branch", branches[1]), ("name", "Bea"), ("token", Self.token), ("csrf", formToken)])
        XCTAssertEqual(conflict.status, 409, conflict.text)
        XCTAssertTrue(conflict.text.contains("conflicts with main") && conflict.text.contains("main says “ Annecy”")
                      && conflict.text.contains("the proposal says “ Geneva”") && conflict.text.contains("Nothing was merged"), conflict.text)
        XCTAssertEqual(try ReviewClient.gitState(s.repo), merged)
        s.stop()
    }
}

extension String {
    /// As the pages escape text (swift-mustache's `{{…}}`).
    var htmlEscapedForTest: String {
        replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }
}
