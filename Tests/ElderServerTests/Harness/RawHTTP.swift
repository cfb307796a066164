import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 exchange over a plain TCP socket on loopback, written byte by byte: what the tests need to
/// send malformed requests, read a stream chunk by chunk and drop the connection mid-stream.
final class RawHTTP {
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() -> [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
        /// `error.message` etc. of an OpenAI error body.
        var error: [String: Any]? { json()?["error"] as? [String: Any] }
    }

    enum Failure: Error { case connect(Int32), closed, timeout, malformed(String) }

    private let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, timeoutSeconds: Int = 120) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 { let e = errno; close(fd); throw Failure.connect(e) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw Failure.closed }
            sent += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// A request with a body and the headers a client sends.
    static func request(_ method: String, _ path: String, body: [UInt8] = [], headers: [String: String] = [:]) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        var all = headers
        if !body.isEmpty || method == "POST" { all["Content-Length"] = all["Content-Length"] ?? String(body.count) }
        if !body.isEmpty && all["Content-Type"] == nil { all["Content-Type"] = "application/json" }
        for (k, v) in all.sorted(by: { $0.key < $1.key }) { head += "\(k): \(v)\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    /// Reads more bytes; false at the end of the connection.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw errno == EAGAIN || errno == EWOULDBLOCK ? Failure.timeout : Failure.closed }
        if n == 0 { return false }
        buffer += chunk[0..<n]
        return true
    }

    private func line() throws -> String {
        while true {
            if let i = buffer.firstIndex(of: 0x0A) {
                let text = String(decoding: buffer[..<i], as: UTF8.self)
                buffer.removeFirst(i + 1)
                return text.hasSuffix("\r") ? String(text.dropLast()) : text
            }
            guard try fill() else { throw Failure.closed }
        }
    }

    private func bytes(_ count: Int) throws -> [UInt8] {
        while buffer.count < count { guard try fill() else { throw Failure.closed } }
        defer { buffer.removeFirst(count) }
        return Array(buffer[..<count])
    }

    /// The status line and headers.
    func head() throws -> (status: Int, headers: [String: String]) {
        let status = try line()
        let parts = status.split(separator: " ")
        guard parts.count >= 2, let code = Int(parts[1]) else { throw Failure.malformed(status) }
        var headers: [String: String] = [:]
        while true {
            let l = try line()
            if l.isEmpty { break }
            if let colon = l.firstIndex(of: ":") {
                headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return (code, headers)
    }

    /// The next piece of a chunked body (nil at its end).
    func chunk() throws -> [UInt8]? {
        guard let size = Int(try line().split(separator: ";")[0], radix: 16) else { throw Failure.malformed("chunk size") }
        if size == 0 { _ = try line(); return nil }
        let data = try bytes(size)
        _ = try line()
        return data
    }

    /// A whole reply (chunked, sized, or to the end of the connection).
    func reply() throws -> Reply {
        let (status, headers) = try head()
        var body: [UInt8] = []
        if headers["transfer-encoding"]?.contains("chunked") == true {
            while let piece = try chunk() { body += piece }
        } else if let length = headers["content-length"].flatMap({ Int($0) }) {
            body = try bytes(length)
        } else {
            while try fill() {}
            body = buffer
            buffer = []
        }
        return Reply(status: status, headers: headers, body: body)
    }

    /// Server-sent events of a streamed reply, as they come: each `data:` payload to `onEvent` until it
    /// returns false (then the connection is left as it is) or the stream ends.
    func events(_ onEvent: (String) throws -> Bool) throws {
        var pending = ""
        while let piece = try chunk() {
            pending += String(decoding: piece, as: UTF8.self)
            while let end = pending.range(of: "\n\n") {
                let event = String(pending[..<end.lowerBound])
                pending = String(pending[end.upperBound...])
                for line in event.split(separator: "\n") where line.hasPrefix("data: ") {
                    if try !onEvent(String(line.dropFirst(6))) { return }
                }
            }
        }
    }

    /// One request, its whole reply.
    static func exchange(port: Int, _ method: String, _ path: String, json: Any? = nil, raw: [UInt8]? = nil) throws -> Reply {
        let client = try RawHTTP(port: port)
        let body = try raw ?? json.map { Array(try JSONSerialization.data(withJSONObject: $0)) } ?? []
        try client.send(request(method, path, body: body))
        return try client.reply()
    }
}
