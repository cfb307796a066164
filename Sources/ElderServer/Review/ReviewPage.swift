import Elder
import Foundation
import Hummingbird
import Mustache

/// What every review page shows around its own content: the title, a problem in plain words or a notice,
/// whether changes are on, and the form token its write forms carry.
struct ReviewPage {
    struct Problem {
        var headline: String
        var lines: [String]
    }

    var title: String
    var problem: Problem?
    var notice: String?
    var writable: Bool
    var csrf: String
    /// The page's own values (one of the `…Content` types), rendered by its template's `{{#content}}` section.
    var content: Any
}

/// A name/value row of a table.
struct Fact: Sendable {
    var key: String
    var value: String
}

/// A page that cannot be shown as asked, in plain words, with the status it is answered with.
struct ReviewProblem: Error, Sendable {
    var status: HTTPResponse.Status
    var headline: String
    var lines: [String] = []

    static func notFound(_ what: String) -> ReviewProblem {
        ReviewProblem(status: .notFound, headline: what, lines: ["Pick a branch, tag or commit from the History page."])
    }
}

/// Renders pages through the template library into responses that no script can run in.
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    func render(_ template: String, _ page: ReviewPage, status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(page, withTemplate: template) ?? "<!doctype html><title>Elder</title><p>The page cannot be drawn.</p>"
        return Self.html(html, status: status)
    }

    /// An HTML response with headers that keep the page to itself: no script may run, no other site may
    /// frame it or receive its forms.
    static func html(_ text: String, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The revisions a page accepts in its URL: branch and tag names, commit ids, `~N` and `^N` after them.
/// Anything else (`..`, `:` paths inside a tree, `@{…}`, a leading `-` or `/`) names no version here.
enum RevisionName {
    /// The branches and tags, for the pages' version pickers.
    static func listed(_ history: RepoHistory) throws -> [String] {
        try history.branches().map(\.name) + history.tags().map(\.name)
    }

    static func isAllowed(_ name: String) -> Bool {
        guard (1...200).contains(name.utf8.count), !name.contains(".."), !name.contains("//"), !name.hasPrefix("-"),
              !name.hasPrefix("/"), !name.hasSuffix("/"), !name.hasSuffix(".") else { return false }
        return name.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || "._/~^-".unicodeScalars.contains(c)
        }
    }
}

/// Dates as people read them, in UTC.
enum PageDate {
    static func text(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min))
    }
}
