import Elder
import ElderServer
import ElderTestSupport
import Foundation
import XCTest

/// The review pages in a real browser (Debian's headless chromium) on the tiny model: propose an edit, see
/// it on the proposal branch, approve it, see main answer with it on the Ask page, revert it from its page,
/// see the old answer back. Each page checked is the DOM chromium built; the forms are sent by the test's
/// HTTP client (chromium cannot press a button without a script), with the form token chromium's DOM
/// carries; each step is checked with `git log`.
final class ReviewBrowserTests: XCTestCase {
    func testProposeApproveAskRevertInTheBrowser() throws {
        let browser = try HeadlessChromium.find()
        var configuration = ServerConfiguration()
        configuration.writeToken = ReviewSecurityTests.token
        let s = try TinyServer(configuration: configuration)
        defer { s.stop() }
        let c = ReviewClient(port: s.port)
        let site = "http://127.0.0.1:\(s.port)"
        let prompt = "The tiny mountain is", target = " Blanc"
        func ask() throws -> String {
            let dom = try browser.dom(site + "/ask" + ReviewClient.query([("prompt", prompt), ("version", "main")]))
            return try XCTUnwrap(ReviewClient.firstMatch(#"<strong class="answer">([^<]*)</strong>"#, in: dom), dom)
        }
        let before = try ask()
        XCTAssertEqual(before, try s.workspace.ask(prompt, at: "main", maxTokens: 16).text.htmlEscapedForTest)

        // Propose, from the form the browser shows.
        let form = try browser.dom(site + "/propose")
        XCTAssertTrue(form.contains("name=\"target\"") && form.contains("type=\"password\""), form)
        let formToken = try XCTUnwrap(ReviewClient.formToken(in: form))
        let proposed = try c.post("/propose", [("prompt", prompt), ("target", target), ("message", "Named for its snow"),
                                               ("action", "propose"), ("name", "Ann Proposer"), ("token", ReviewSecurityTests.token),
                                               ("csrf", formToken)])
        XCTAssertEqual(proposed.status, 200, proposed.text)
        let branch = try XCTUnwrap(ReviewClient.firstMatch(#"(proposal/e[0-9a-f]{12})"#, in: proposed.text))

        // See it on the proposal branch; main has not moved.
        let history = try browser.dom(site + "/history" + ReviewClient.query([("branch", branch)]))
        XCTAssertTrue(history.contains(prompt) && history.contains("“\(target)”") && history.contains("Named for its snow"), history)
        XCTAssertTrue(history.contains("Approve and merge into main"), "a proposal's history offers approval")
        let editCommit = try s.workspace.resolve(branch).hex
        XCTAssertEqual(try ReviewClient.gitLog(s.repo, "main.." + branch, format: "%H %s"), ["\(editCommit) Named for its snow"])
        XCTAssertEqual(try ask(), before, "main answers as before until the proposal is approved")

        // Approve; main answers with the edit.
        let approved = try c.post("/approve", [("branch", branch), ("name", "Bea Approver"), ("token", ReviewSecurityTests.token),
                                               ("csrf", formToken)])
        XCTAssertEqual(approved.status, 200, approved.text)
        XCTAssertEqual(try ReviewClient.gitLog(s.repo, "main", format: "%(trailers:key=Approved-by,valueonly,separator=)%P", extra: ["-1"]).first?
                        .hasPrefix("Bea Approver"), true)
        let edited = try ask()
        XCTAssertTrue(edited.hasPrefix(target), "main answers \(edited)")

        // Revert it from its page (the form the browser shows names the commit).
        let page = try browser.dom(site + "/commit/" + editCommit)
        XCTAssertTrue(page.contains("Revert on main"), page)
        let commit = try XCTUnwrap(ReviewClient.firstMatch(#"name="commit" value="([0-9a-f]{40})""#, in: page))
        XCTAssertEqual(commit, editCommit)
        let reverted = try c.post("/revert", [("commit", commit), ("branch", "main"), ("name", "Bea Approver"),
                                              ("token", ReviewSecurityTests.token), ("csrf", formToken)])
        XCTAssertEqual(reverted.status, 200, reverted.text)
        XCTAssertEqual(try ReviewClient.gitLog(s.repo, "main", format: "%(trailers:key=Reverts,valueonly,separator=)", extra: ["-1"]), [editCommit])
        XCTAssertEqual(try ask(), before, "the old answer is back")
        let mainLog = try browser.dom(site + "/history?branch=main")
        XCTAssertTrue(mainLog.contains("class=\"tag revert\"") && mainLog.contains("class=\"tag merge\""), mainLog)

        // ELDER_REVIEW_SCREENSHOTS=DIR: PNGs of the four pages as chromium draws them (the tiny model's answers).
        if let folder = ProcessInfo.processInfo.environment["ELDER_REVIEW_SCREENSHOTS"], !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let pages = [("history", "/history?branch=main", 1100, 900), ("edit", "/commit/" + editCommit, 1100, 1400),
                         ("compare", "/compare?from=" + editCommit + "&to=main", 1100, 900),
                         ("ask", "/ask" + ReviewClient.query([("prompt", prompt), ("version", editCommit)]), 1100, 800)]
            for (name, path, width, height) in pages {
                try browser.screenshot(site + path, to: folder + "/tiny-" + name + ".png", width: width, height: height)
            }
        }
    }
}
