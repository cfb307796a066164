import Foundation
import Hummingbird
import Logging

/// Around every route: errors in OpenAI's shape (unknown routes included), one structured log line per
/// request and its count and duration in the metrics, measured to the last byte of a streamed body.
struct APIMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServerMetrics
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response
        } catch let error as any HTTPResponseError {
            switch error.status {
            case .notFound: response = APIError.notFound(path: request.uri.path).response
            case .methodNotAllowed: response = APIError.methodNotAllowed(request.method, path: request.uri.path).response
            case .contentTooLarge: response = APIError.tooLarge(limit: maxBodyBytes).response
            default:
                response = APIError(status: error.status, message: "\(error.status.reasonPhrase): \(error)", type: "invalid_request_error").response
            }
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            response = APIError.internalError(String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")).response
        }
        let route = context.endpointPath ?? "unmatched"
        let status = response.status.code
        let logger = context.logger
        let metrics = self.metrics
        let method = request.method, path = request.uri.path
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            var failure: (any Error)?
            do { try await body.write(writer) } catch { failure = error }
            let elapsed = ContinuousClock.now - start
            metrics.request(route: route, status: status, duration: elapsed)
            logger.info("request", metadata: [
                "method": "\(method)", "path": "\(path)", "status": "\(status)",
                "ms": "\(String(format: "%.1f", Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15))",
                "client_gone": "\(failure != nil)",
            ])
            if let failure { throw failure }
        }
        return response
    }
}
