import ElderTestSupport
import Foundation
import XCTest

/// What a browser does with the review pages, by plain HTTP: reads a page, sends a form
/// (`application/x-www-form-urlencoded`, from the server's own origin unless told otherwise), and reads the
/// form token a page carries. The `git` CLI looks at the repo before and after.
struct ReviewClient {
    let port: Int
    /// The origin a browser on the server's pages names (RawHTTP sends `Host: 127.0.0.1`).
    static let ownOrigin = "http://127.0.0.1"

    func get(_ path: String) throws -> RawHTTP.Reply { try RawHTTP.exchange(port: port, "GET", path) }

    func post(_ path: String, _ fields: [(String, String)], headers: [String: String] = ["Origin": ReviewClient.ownOrigin]) throws -> RawHTTP.Reply {
        let body = Array(Self.encode(fields).utf8)
        var all = headers
        all["Content-Type"] = "application/x-www-form-urlencoded"
        let client = try RawHTTP(port: port)
        try client.send(RawHTTP.request("POST", path, body: body, headers: all))
        return try client.reply()
    }

    static func encode(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }

    /// `?a=b&…` for a page's query.
    static func query(_ fields: [(String, String)]) -> String { "?" + encode(fields) }

    /// The form token in a page (`<input type="hidden" name="csrf" value="…">`).
    static func formToken(in html: String) -> String? { firstMatch(#"name="csrf" value="([0-9a-f]+)""#, in: html) }

    static func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), match.numberOfRanges > 1,
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }

    /// The repo as git sees it: every ref and its commit, and every object reachable from them.
    static func gitState(_ repo: String) throws -> String {
        let refs = try GitCLI.execute(["--git-dir", repo, "for-each-ref", "--format=%(refname) %(objectname)"])
        let objects = try GitCLI.execute(["--git-dir", repo, "rev-list", "--all", "--objects"])
        XCTAssertEqual(refs.status, 0, refs.stderr)
        return refs.stdout + "\n" + objects.stdout
    }

    /// `git log` of `revision` in `format`, one line per commit.
    static func gitLog(_ repo: String, _ revision: String, format: String, extra: [String] = []) throws -> [String] {
        let r = try GitCLI.execute(["--git-dir", repo, "log", "--format=" + format] + extra + [revision, "--"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}
