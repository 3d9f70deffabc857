import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// One invocation as `GET /runtime/invocation/next` returned it.
package struct LambdaInvocation: Sendable {
    package var requestID: String
    package var traceID: String?
    package var invokedFunctionARN: String?
    /// `nil` when the header was missing or not a number (the loop reports that as the invocation's error).
    package var deadline: Date?
    package var event: ByteBuffer
}

/// Speaks the Lambda Runtime API (version 2018-06-01) at `AWS_LAMBDA_RUNTIME_API`: next, response,
/// error, init error.
package struct LambdaRuntimeClient: Sendable {
    /// `http://host:port`.
    package let origin: String
    private let httpClient: HTTPClient

    /// The largest event or response the runtime handles (Lambda's own limit is 6 MB).
    static let maximumPayloadBytes = 32 * 1024 * 1024
    private static let apiPrefix = "/2018-06-01"

    /// Runs `body` with a client for the Runtime API at `hostAndPort` (the value of
    /// `AWS_LAMBDA_RUNTIME_API`) and shuts its HTTP client down on every path.
    package static func withRuntimeClient<T>(
        runtimeAPI hostAndPort: String,
        _ body: (LambdaRuntimeClient) async throws -> T
    ) async throws -> T {
        let trimmed = hostAndPort.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, !trimmed.contains("/"), URL(string: "http://\(trimmed)")?.host != nil else {
            throw LambdaRuntimeError(.invalidRuntimeAPI, "AWS_LAMBDA_RUNTIME_API=\(hostAndPort) is not host:port")
        }
        // No read timeout: `next` is a long poll that lasts until Lambda has an event.
        let configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: nil),
            decompression: .disabled
        )
        return try await HTTPClient.withHTTPClient(configuration: configuration) { httpClient in
            try await body(LambdaRuntimeClient(origin: "http://\(trimmed)", httpClient: httpClient))
        }
    }

    /// Waits for the next invocation (no timeout).
    package func nextInvocation(logger: Logger) async throws -> LambdaInvocation {
        let request = HTTPClientRequest(url: origin + Self.apiPrefix + "/runtime/invocation/next")
        let (status, headers, body) = try await send(request, deadline: .distantFuture, logger: logger)
        guard status == .ok else {
            throw LambdaRuntimeError(.unexpectedStatus, "invocation/next answered \(status.code)")
        }
        guard let requestID = headers.first(name: "Lambda-Runtime-Aws-Request-Id"), !requestID.isEmpty else {
            throw LambdaRuntimeError(.missingHeader, "invocation/next sent no Lambda-Runtime-Aws-Request-Id")
        }
        let deadline = headers.first(name: "Lambda-Runtime-Deadline-Ms").flatMap { Int64($0) }
            .map { Date(timeIntervalSince1970: Double($0) / 1000) }
        return LambdaInvocation(
            requestID: requestID,
            traceID: headers.first(name: "Lambda-Runtime-Trace-Id"),
            invokedFunctionARN: headers.first(name: "Lambda-Runtime-Invoked-Function-Arn"),
            deadline: deadline,
            event: body
        )
    }

    /// Posts the handler's answer for `requestID`.
    package func reportResponse(requestID: String, body: ByteBuffer, logger: Logger) async throws {
        var request = HTTPClientRequest(url: origin + Self.apiPrefix + "/runtime/invocation/\(requestID)/response")
        request.method = .POST
        request.body = .bytes(body)
        try await post(request, what: "invocation/response", logger: logger)
    }

    /// Reports that the handler failed for `requestID`.
    package func reportError(requestID: String, error: any Error, logger: Logger) async throws {
        let request = errorRequest(path: "/runtime/invocation/\(requestID)/error", error: error)
        try await post(request, what: "invocation/error", logger: logger)
    }

    /// Reports that the function could not start (Lambda then ends this sandbox).
    package func reportInitError(_ error: any Error, logger: Logger) async throws {
        try await post(errorRequest(path: "/runtime/init/error", error: error), what: "init/error", logger: logger)
    }

    /// The error document of the Runtime API: `{"errorMessage": …, "errorType": …}`.
    package struct ErrorDocument: Codable, Equatable, Sendable {
        package var errorMessage: String
        package var errorType: String

        package init(_ error: any Error) {
            errorMessage = "\(error)"
            errorType = "\(type(of: error))"
        }
    }

    private func errorRequest(path: String, error: any Error) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: origin + Self.apiPrefix + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Lambda-Runtime-Function-Error-Type", value: "Unhandled")
        let json = (try? JSONEncoder().encode(ErrorDocument(error))) ?? Data("{}".utf8)
        request.body = .bytes(ByteBuffer(bytes: json))
        return request
    }

    private func post(_ request: HTTPClientRequest, what: String, logger: Logger) async throws {
        let (status, _, _) = try await send(request, deadline: .now() + .seconds(30), logger: logger)
        guard status == .accepted || status == .ok else {
            throw LambdaRuntimeError(.unexpectedStatus, "\(what) answered \(status.code)")
        }
    }

    private func send(
        _ request: HTTPClientRequest,
        deadline: NIODeadline,
        logger: Logger
    ) async throws -> (HTTPResponseStatus, HTTPHeaders, ByteBuffer) {
        do {
            let response = try await httpClient.execute(request, deadline: deadline, logger: logger)
            let body = try await response.body.collect(upTo: Self.maximumPayloadBytes)
            return (response.status, response.headers, body)
        } catch let error as LambdaRuntimeError {
            throw error
        } catch {
            try Task.checkCancellation()
            throw LambdaRuntimeError(.connection, "the Runtime API at \(origin) failed", underlying: error)
        }
    }
}
