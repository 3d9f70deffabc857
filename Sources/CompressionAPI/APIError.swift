import CompressionJob
import Foundation

/// Why a request was not served: an HTTP status, a stable code, the message and the field
/// involved; answered as `{"success": false, "error": {"code", "message", "field"?}}`.
///
/// Client input never yields a 5xx: what the client sent is a 4xx; S3 or SQS being unavailable
/// is a 502/503.
package struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Base: String {
        case invalidRequest, invalidMessage, refused, conflict, unauthorized, notFound, methodNotAllowed
        case payloadTooLarge, unavailable, internalError
    }
    private let base: Base
    package let message: String
    package let field: String?

    private init(_ base: Base, _ message: String, field: String? = nil) {
        self.base = base
        self.message = message
        self.field = field
    }

    /// A parameter or body that cannot be read (not the job's fields: those are `invalidMessage`).
    package static func invalidRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.invalidRequest, message, field: field)
    }
    package static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }
    package static let unauthorized = APIError(.unauthorized, "a valid x-api-key header is required")
    package static let methodNotAllowed = APIError(.methodNotAllowed, "this route does not take this method")
    package static func payloadTooLarge(_ limit: Int?) -> APIError {
        APIError(.payloadTooLarge, "the request body is larger than " + (limit.map { "\($0) bytes" } ?? "allowed"))
    }
    package static func unavailable(_ message: String) -> APIError { APIError(.unavailable, message) }
    package static let serverFault = APIError(.internalError, "the request could not be served")

    /// A job's error as the API answers it.
    package init(_ error: JobError) {
        switch error.code {
        case .invalidMessage: self.init(.invalidMessage, error.message, field: error.field)
        case .refused where error.field == "taskId": self.init(.conflict, error.message, field: error.field)
        case .refused: self.init(.refused, error.message, field: error.field)
        default: self.init(.unavailable, error.message, field: error.field)
        }
    }

    /// The code in the body (`invalidMessage` and `refused` are the job's own codes).
    package var code: String { base.rawValue }

    package var status: Int {
        switch base {
        case .invalidRequest, .invalidMessage, .refused: 400
        case .unauthorized: 401
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict: 409
        case .payloadTooLarge: 413
        case .unavailable: 503
        case .internalError: 500
        }
    }

    package var description: String { "APIError.\(code): " + (field.map { "\($0): " } ?? "") + message }

    private struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var field: String?
        }
        var success = false
        var error: Detail
    }

    package var response: APIResponse {
        APIResponse.json(Body(error: .init(code: code, message: message, field: field)), status: status)
    }
}

/// A response before it meets a transport (Hummingbird's server, or an API Gateway answer).
package struct APIResponse: Sendable {
    package var status: Int
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]

    package init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Pretty, sorted JSON with ISO 8601 dates (the result documents' encoder).
    package static func json(_ value: some Encodable, status: Int = 200) -> APIResponse {
        guard let data = try? JobResult.makeEncoder().encode(value) else {
            return APIResponse(
                status: 500,
                headers: [("content-type", "application/json")],
                body: Array(
                    #"{"error":{"code":"internalError","message":"unencodable response"},"success":false}"#.utf8
                )
            )
        }
        return APIResponse(
            status: status,
            headers: [("content-type", "application/json; charset=utf-8")],
            body: Array(data) + [UInt8(ascii: "\n")]
        )
    }

    package static func html(_ text: String) -> APIResponse {
        APIResponse(status: 200, headers: [("content-type", "text/html; charset=utf-8")], body: Array(text.utf8))
    }

    package static func redirect(to location: String) -> APIResponse {
        APIResponse(status: 302, headers: [("location", location), ("cache-control", "no-store")])
    }
}
