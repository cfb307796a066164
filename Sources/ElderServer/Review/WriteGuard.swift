import Foundation
import Hummingbird

/// Who may write through the review pages, and the checks every write request passes before anything is
/// read from its fields: writes are on (`elder serve --token-file`), the request comes from the server's own
/// pages (same origin, and the form's CSRF token), and it carries the access token. Each refusal is a 403
/// that changes nothing.
struct WriteGuard: Sendable {
    /// The access token (nil: the server was started without one and refuses every write).
    let token: String?
    /// The token every form of this server process carries (a forged form from another site cannot know it).
    let formToken: String

    init(token: String?) {
        self.token = token
        var generator = SystemRandomNumberGenerator()
        formToken = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }.joined()
    }

    var writable: Bool { token != nil }

    /// Why `request` with `fields` may not write, in plain words; nil when it may.
    func refusal(_ request: Request, fields: FormFields) -> String? {
        guard let token else {
            return "This server does not accept changes: it was started without an access token (elder serve --token-file FILE)."
        }
        if let problem = crossOrigin(request) { return problem }
        guard let sent = fields["csrf"], Self.same(sent, formToken) else {
            return "This form did not come from this server's own pages (its form token is missing or stale): "
                + "open the page again and send the form from there."
        }
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let given = fields["token"] ?? bearer, Self.same(given, token) else {
            return "The access token is missing or wrong: type the token this server was started with (--token-file)."
        }
        return nil
    }

    /// A browser names the page a form was sent from (`Origin`, else `Referer`); it must be this server
    /// (the `Host` the request was sent to). A request naming neither (a script, not a browser) passes this
    /// check and still needs the form token and the access token.
    func crossOrigin(_ request: Request) -> String? {
        guard let host = request.head.authority, !host.isEmpty else { return "The request names no Host: send it to this server by its address." }
        let own = ["http://" + host, "https://" + host]
        if let origin = request.headers[.origin] {
            return own.contains(origin) ? nil : "This form was sent from another site (\(origin)): changes are only accepted from this server's own pages."
        }
        if let referer = request.headers[.referer] {
            return own.contains(where: { referer == $0 || referer.hasPrefix($0 + "/") }) ? nil
                : "This form was sent from another site: changes are only accepted from this server's own pages."
        }
        return nil
    }

    /// Equal, in a time that does not depend on where two strings of one length first differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
