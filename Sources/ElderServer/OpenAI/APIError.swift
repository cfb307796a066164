import Hummingbird
import Foundation

/// An error answered in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with the status
/// OpenAI gives it; `refs` lists the versions that exist when a version is unknown.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String
    var type: String
    var param: String?
    var code: String?
    var refs: [String]?

    static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    static func unknownVersion(_ name: String, refs: [String]) -> APIError {
        let listed = refs.prefix(20).joined(separator: ", ") + (refs.count > 20 ? ", … (\(refs.count) in all)" : "")
        return APIError(status: .notFound, message: "no version named '\(name)' in this knowledge repo: give a branch, a tag, "
                            + "a commit id or a revision such as main~3 (refs: \(listed.isEmpty ? "none" : listed))",
                        type: "invalid_request_error", param: "model", code: "model_not_found", refs: refs)
    }

    static func tooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "the request body is larger than \(limit) bytes: send a shorter prompt",
                 type: "invalid_request_error", code: "request_too_large")
    }

    static func notFound(path: String) -> APIError {
        APIError(status: .notFound, message: "no route \(path): the API is /v1/models, /v1/completions and /v1/chat/completions",
                 type: "invalid_request_error", code: "unknown_url")
    }

    static func methodNotAllowed(_ method: HTTPRequest.Method, path: String) -> APIError {
        APIError(status: .methodNotAllowed, message: "\(method) is not allowed on \(path)", type: "invalid_request_error",
                 code: "method_not_allowed")
    }

    static func busy(queued: Int) -> APIError {
        APIError(status: .serviceUnavailable, message: "the server is busy (\(queued) requests waiting): retry shortly",
                 type: "server_error", code: "overloaded")
    }

    static let shuttingDown = APIError(status: .serviceUnavailable, message: "the server is shutting down: retry on another instance",
                                       type: "server_error", code: "shutting_down")

    static func unservable(_ name: String, reason: String) -> APIError {
        APIError(status: .unprocessableContent, message: "version '\(name)' cannot be served: \(reason)", type: "invalid_request_error",
                 param: "model", code: "version_unreadable")
    }

    static func internalError(_ reason: String) -> APIError {
        APIError(status: .internalServerError, message: "internal error: \(reason)", type: "server_error")
    }

    /// The JSON body.
    var body: [UInt8] {
        struct Body: Encodable {
            struct Inner: Encodable {
                var message: String
                var type: String
                var param: String?
                var code: String?
                var refs: [String]?
                func encode(to encoder: any Encoder) throws {
                    var c = encoder.container(keyedBy: CodingKeys.self)
                    try c.encode(message, forKey: .message)
                    try c.encode(type, forKey: .type)
                    try c.encode(param, forKey: .param)   // null when absent, as OpenAI sends it
                    try c.encode(code, forKey: .code)
                    try c.encodeIfPresent(refs, forKey: .refs)
                }
                enum CodingKeys: String, CodingKey { case message, type, param, code, refs }
            }
            var error: Inner
        }
        let body = Body(error: .init(message: message, type: type, param: param, code: code, refs: refs))
        return Array((try? JSONEncoder().encode(body)) ?? Data("{\"error\":{\"message\":\"internal error\"}}".utf8))
    }

    var response: Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
