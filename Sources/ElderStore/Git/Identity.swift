import CLibGit2
import Foundation

/// Which identity of a commit git asks for: the person who made the change, or the one who wrote the commit.
public enum IdentityRole: String, Sendable {
    case author, committer

    /// The prefix of git's environment variables for this role (`GIT_AUTHOR_NAME`, `GIT_COMMITTER_DATE`, …).
    var environmentPrefix: String { "GIT_" + rawValue.uppercased() + "_" }
}

/// No name or email for a commit could be found, or one given is unusable (git's "Please tell me who you are").
public struct IdentityError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        /// Neither the environment nor any git config level names the person.
        case unknown
        /// `GIT_<ROLE>_DATE` is not a date git reads.
        case badDate(String)
        /// `--author` is not `Name <email>`.
        case badSignature(String)
    }
    public let role: IdentityRole
    public let reason: Reason

    public var description: String {
        switch reason {
        case .unknown:
            let upper = role.rawValue.uppercased()
            return "\(role.rawValue.capitalized) identity unknown: tell git who you are with "
                + "`git config --global user.name \"Your Name\"` and `git config --global user.email you@example.com` "
                + "(or set GIT_\(upper)_NAME and GIT_\(upper)_EMAIL)"
        case let .badDate(text):
            return "GIT_\(role.rawValue.uppercased())_DATE '\(text)' is not a date git reads: give '@UNIXTIME +HHMM', "
                + "ISO 8601 ('2026-12-07T10:00:00+01:00') or RFC 2822 ('Mon, 7 Dec 2026 10:00:00 +0100')"
        case let .badSignature(text):
            return "\(role.rawValue) '\(text)' is not 'Name <email>': give it as --author \"Jane Doe <jane@example.com>\""
        }
    }
}

extension Signature {
    /// `Name <email>` as `git commit --author` takes it (name and email non-empty, no angle brackets inside).
    public static func parse(_ text: String, role: IdentityRole = .author) throws -> Signature {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") else {
            throw IdentityError(role: role, reason: .badSignature(text))
        }
        let name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
        let email = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        guard Self.isUsable(name), Self.isUsable(email) else { throw IdentityError(role: role, reason: .badSignature(text)) }
        return Signature(name: name, email: email)
    }

    /// What git accepts in an ident field: not empty, no angle brackets or line breaks.
    static func isUsable(_ field: String) -> Bool {
        !field.isEmpty && !field.contains(where: { "<>\n\r\0".contains($0) })
    }
}

extension Repository {
    /// The identity git would write for `role` in this repository, by git's own rules: `GIT_<ROLE>_NAME` and
    /// `GIT_<ROLE>_EMAIL` from `environment`, else `<role>.name` / `<role>.email`, else `user.name` /
    /// `user.email` from the repository's config with its global and system levels (libgit2's view, the one
    /// `git_signature_default` reads), else `EMAIL` for the email; `GIT_<ROLE>_DATE` fixes the time (else: now).
    /// Git's last resort — guessing `user@host` — is left out: a knowledge repo's history names people.
    public func identity(_ role: IdentityRole,
                         environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Signature {
        try Self.identity(role, environment: environment) { try configValue($0, anyLevel: true) }
    }

    /// The identity for `role` before any repository exists (`elder init`): the environment, then the global
    /// and system config (`git_config_open_default`).
    public static func defaultIdentity(_ role: IdentityRole,
                                       environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Signature {
        GitLibrary.ensureInitialized()
        var raw: OpaquePointer?
        try gitCheck(git_config_open_default(&raw), "open the global git config")
        let config = ConfigHandle(raw!)
        return try identity(role, environment: environment) { key in
            var buffer = git_buf()
            defer { git_buf_dispose(&buffer) }
            let rc = git_config_get_string_buf(&buffer, config.pointer, key)
            if rc == GIT_ENOTFOUND.rawValue { return nil }
            try gitCheck(rc, "read config \(key)")
            return buffer.ptr.map { String(cString: $0) } ?? ""
        }
    }

    private static func identity(_ role: IdentityRole, environment: [String: String],
                                 config: (String) throws -> String?) throws -> Signature {
        let prefix = role.environmentPrefix
        func configured(_ field: String) throws -> String? {
            try config(role.rawValue + "." + field) ?? config("user." + field)
        }
        let name = try environment[prefix + "NAME"] ?? configured("name")
        let email = try environment[prefix + "EMAIL"] ?? configured("email") ?? environment["EMAIL"]
        guard let name, let email, Signature.isUsable(name.trimmingCharacters(in: .whitespaces)),
              Signature.isUsable(email) else {
            throw IdentityError(role: role, reason: .unknown)
        }
        var signature = Signature(name: name.trimmingCharacters(in: .whitespaces), email: email)
        if let date = environment[prefix + "DATE"] {
            guard let (time, offset) = GitDate.parse(date) else { throw IdentityError(role: role, reason: .badDate(date)) }
            signature.time = time
            signature.offsetMinutes = offset
        }
        return signature
    }
}

extension Repository {
    /// Fails at once (before an operation trains anything) when a commit could not say who made it:
    /// `author` (or the author identity) and the committer identity must resolve.
    public func checkIdentities(author: Signature?) throws {
        if author == nil { _ = try identity(.author) }
        _ = try identity(.committer)
    }
}

/// The date formats of `GIT_AUTHOR_DATE` / `GIT_COMMITTER_DATE` (git's "Date Formats"): git's internal
/// `[@]UNIXTIME ±HHMM`, ISO 8601 (`2026-12-07T10:00:00+01:00`, a space for the T, `Z`) and RFC 2822.
enum GitDate {
    static func parse(_ text: String) -> (time: Int64, offsetMinutes: Int32)? {
        let s = text.trimmingCharacters(in: .whitespaces)
        return `internal`(s) ?? iso8601(s) ?? rfc2822(s)
    }

    /// `±HHMM`, `±HH:MM` or `Z` as minutes east of UTC.
    static func offset(_ text: String) -> Int32? {
        if text == "Z" || text == "z" { return 0 }
        let digits = text.dropFirst().filter { $0 != ":" }
        guard let sign = text.first, sign == "+" || sign == "-", digits.count == 4, let value = Int32(digits),
              value % 100 < 60, value / 100 < 24 else { return nil }
        return (sign == "-" ? -1 : 1) * (value / 100 * 60 + value % 100)
    }

    private static func `internal`(_ s: String) -> (Int64, Int32)? {
        let parts = s.split(separator: " ")
        guard parts.count == 2, let offset = offset(String(parts[1])) else { return nil }
        let digits = parts[0].hasPrefix("@") ? parts[0].dropFirst() : parts[0]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let time = Int64(digits) else { return nil }
        return (time, offset)
    }

    private static func iso8601(_ s: String) -> (Int64, Int32)? {
        // YYYY-MM-DD[T ]HH:MM:SS then Z, ±HH:MM or ±HHMM (with an optional space before it).
        let chars = Array(s)
        guard chars.count >= 20, chars[4] == "-", chars[7] == "-", chars[10] == "T" || chars[10] == " ",
              chars[13] == ":", chars[16] == ":" else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(chars[range])) }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19) else { return nil }
        let zone = String(chars[19...]).trimmingCharacters(in: .whitespaces)
        guard let offset = offset(zone) else { return nil }
        return utc(year, month, day, hour, minute, second).map { ($0 - Int64(offset) * 60, offset) }
    }

    private static func rfc2822(_ s: String) -> (Int64, Int32)? {
        // [Day, ]DD Mon YYYY HH:MM:SS ±HHMM
        var parts = s.split(separator: " ").map(String.init)
        if let first = parts.first, first.hasSuffix(",") { parts.removeFirst() }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 5, let day = Int(parts[0]), let month = months.firstIndex(of: parts[1]), let year = Int(parts[2]),
              let offset = offset(parts[4]) else { return nil }
        let clock = parts[3].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3 else { return nil }
        return utc(year, month + 1, day, clock[0], clock[1], clock[2]).map { ($0 - Int64(offset) * 60, offset) }
    }

    /// Seconds since 1970 of a UTC calendar time (proleptic Gregorian; days from civil, H. Hinnant).
    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Int64? {
        guard (1970...9999).contains(year), (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour),
              (0...59).contains(minute), (0...60).contains(second) else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second)
    }
}
