import AWSSigV4
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Signs, sends and retries AWS requests over one shared `HTTPClient`.
///
/// Each attempt fetches credentials (cached by the provider), signs with the current time, and
/// runs under the attempt timeout. Service errors are decoded by the caller's decoder, so retries see
/// typed, classified errors.
package struct AWSTransport: Sendable {
    package let httpClient: HTTPClient
    package let credentialProvider: any AWSCredentialProvider
    package let region: String
    package let retryPolicy: RetryPolicy
    package let retryQuota: RetryQuota
    package let attemptTimeout: Duration
    package let operationTimeout: Duration?
    package let minimumUploadRate: Int

    /// Bodies of buffered responses larger than this are refused (a ListObjectsV2 page is ~1 MB).
    package static let maximumBufferedBody = 64 * 1024 * 1024
    private static let maximumErrorBody = 1024 * 1024
    private static let userAgent = "dicom-j2k-awsclients/1.0"

    package init(configuration: AWSConfiguration, httpClient: HTTPClient, credentialProvider: any AWSCredentialProvider)
    {
        self.httpClient = httpClient
        self.credentialProvider = credentialProvider
        self.region = configuration.region
        self.retryPolicy = configuration.retryPolicy
        self.retryQuota = RetryQuota()
        self.attemptTimeout = configuration.attemptTimeout
        self.operationTimeout = configuration.operationTimeout
        self.minimumUploadRate = max(1, configuration.minimumUploadRate)
    }

    /// Decides whether a response is an error: returns the typed error, or `nil` for success.
    package typealias ErrorDecoder = @Sendable (AWSHTTPResponse) -> (any Error)?

    /// Sends `request` and reads the whole response; retries as the policy allows.
    /// - Parameter attempts: counts the attempts, for callers that must know whether a retry happened.
    package func execute(
        _ request: AWSHTTPRequest,
        logger: Logger,
        attempts: AttemptCounter? = nil,
        decodeError: @escaping ErrorDecoder
    ) async throws -> AWSHTTPResponse {
        try await withAttempts(request, logger: logger, attempts: attempts) { attempt, prepared, limit, logger in
            let httpClient = self.httpClient
            let response = try await withTimeout(limit, operation: request.operation) {
                do {
                    let response = try await httpClient.execute(
                        prepared,
                        deadline: .now() + .nanoseconds(limit.nanoseconds),
                        logger: logger
                    )
                    let body = try await response.body.collect(upTo: Self.maximumBufferedBody)
                    return AWSHTTPResponse(status: response.status, headers: response.headers, body: body)
                } catch let error as NIOTooManyBytesError {
                    throw AWSClientError(
                        .invalidResponse,
                        "response body over \(Self.maximumBufferedBody) bytes",
                        operation: request.operation,
                        underlying: error
                    )
                } catch {
                    throw AWSClientError.wrapping(error, operation: request.operation)
                }
            }
            logger.trace(
                "AWS response",
                metadata: [
                    "aws.attempt": "\(attempt)", "http.status": "\(response.status.code)",
                    "aws.request_id": "\(response.requestID ?? "-")",
                ]
            )
            if let error = decodeError(response) { throw error }
            return response
        }
    }

    /// Sends `request` and returns as soon as a successful response head has arrived; the caller
    /// streams the body. Error responses are read, decoded and retried like ``execute(_:logger:decodeError:)``.
    package func executeStreaming(
        _ request: AWSHTTPRequest,
        logger: Logger,
        decodeError: @escaping ErrorDecoder
    ) async throws -> HTTPClientResponse {
        try await withAttempts(request, logger: logger) { _, prepared, limit, logger in
            let response: HTTPClientResponse
            do {
                response = try await httpClient.execute(
                    prepared,
                    deadline: .now() + .nanoseconds(limit.nanoseconds),
                    logger: logger
                )
            } catch {
                throw AWSClientError.wrapping(error, operation: request.operation)
            }
            if (200..<300).contains(response.status.code) { return response }
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: Self.maximumErrorBody)
            } catch {
                throw AWSClientError.wrapping(error, operation: request.operation)
            }
            let buffered = AWSHTTPResponse(status: response.status, headers: response.headers, body: body)
            throw decodeError(buffered)
                ?? AWSClientError(.invalidResponse, "HTTP \(response.status.code)", operation: request.operation)
        }
    }

    /// The retry loop both ways of sending share: one operation deadline, the request signed
    /// afresh for every attempt, a consumed stream never sent again. `body` gets the attempt
    /// number, the signed request, the attempt's time limit and the operation's logger.
    private func withAttempts<T>(
        _ request: AWSHTTPRequest,
        logger: Logger,
        attempts: AttemptCounter? = nil,
        _ body: (Int, HTTPClientRequest, Duration, Logger) async throws -> T
    ) async throws -> T {
        let flag = ConsumptionFlag()
        let transfer = transferAllowance(request)
        let deadline = operationTimeout.map { ContinuousClock.now + $0 + transfer * retryPolicy.maxAttempts }
        let logger = Self.logger(logger, for: request)
        return try await withRetries(
            policy: retryPolicy,
            quota: retryQuota,
            operation: request.operation,
            deadline: deadline,
            logger: logger,
            canRetry: Self.canResend(request.body, flag)
        ) { attempt in
            attempts?.increment()
            let prepared = try await prepare(request, flag: flag, logger: logger)
            let limit = attemptLimit(request, transfer: transfer, deadline: deadline)
            return try await body(attempt, prepared, limit, logger)
        }
    }

    private static func logger(_ logger: Logger, for request: AWSHTTPRequest) -> Logger {
        var logger = logger
        logger[metadataKey: "aws.operation"] = "\(request.operation)"
        return logger
    }

    private static func canResend(_ body: AWSRequestBody, _ flag: ConsumptionFlag) -> Bool {
        if case .stream = body { return !flag.isConsumed }
        return true
    }

    /// The time sending the request body may take at the minimum upload rate: added to the
    /// attempt timeout, which would otherwise also have to cover a 5 GiB part.
    package func transferAllowance(_ request: AWSHTTPRequest) -> Duration {
        let length: Int64
        switch request.body {
        case .empty: length = 0
        case .bytes(let buffer): length = Int64(buffer.readableBytes)
        case .stream(let stream): length = max(0, stream.length)
        }
        return .seconds(Double(length) / Double(minimumUploadRate))
    }

    private func attemptLimit(
        _ request: AWSHTTPRequest,
        transfer: Duration,
        deadline: ContinuousClock.Instant?
    ) -> Duration {
        let limit = (request.attemptTimeout ?? attemptTimeout) + transfer
        guard let deadline else { return limit }
        return max(.milliseconds(1), min(limit, deadline - .now))
    }

    /// Builds the signed HTTP request for one attempt.
    private func prepare(
        _ request: AWSHTTPRequest,
        flag: ConsumptionFlag,
        logger: Logger
    ) async throws -> HTTPClientRequest {
        let credentials: AWSCredentials
        do {
            credentials = try await credentialProvider.credentials(logger: logger)
        } catch let error as AWSClientError {
            throw error.with(operation: request.operation)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw AWSClientError(.credentials, "no credentials", operation: request.operation, underlying: error)
        }
        let signer = AWSSigner(credentials: credentials, region: region, service: request.service)
        let payload: AWSSigner.Payload
        let body: HTTPClientRequest.Body?
        switch request.body {
        case .empty:
            payload = .empty
            body = request.method == .POST || request.method == .PUT ? .bytes(ByteBuffer()) : nil
        case .bytes(let buffer):
            payload = .sha256(buffer.withUnsafeReadableBytes { AWSSigner.sha256Hex(bufferPointer: $0) })
            body = .bytes(buffer)
        case .stream(let stream):
            payload = .unsigned
            body = stream.httpBody(flag)
        }
        let host = request.endpoint.hostHeader(host: request.host)
        var headers = request.headers
        headers.append(("user-agent", Self.userAgent))
        let signed = signer.signHeaders(
            AWSSigner.Request(
                method: request.method.rawValue,
                host: host,
                path: request.path,
                query: request.query,
                headers: headers
            ),
            payload: payload,
            date: Date()
        )
        var prepared = HTTPClientRequest(url: request.endpoint.origin(host: request.host) + signed.pathAndQuery)
        prepared.method = request.method
        for (name, value) in signed.headers { prepared.headers.add(name: name, value: value) }
        prepared.body = body
        return prepared
    }
}

/// Runs `body` with a new `HTTPClient` configured for AWS (no redirects, no automatic
/// decompression, bounded connect and read timeouts) and shuts it down afterwards, also on error.
public func withAWSHTTPClient<T>(
    backgroundActivityLogger: Logger? = nil,
    _ body: (HTTPClient) async throws -> T
) async throws -> T {
    try await HTTPClient.withHTTPClient(
        configuration: .awsDefault,
        backgroundActivityLogger: backgroundActivityLogger,
        body
    )
}

extension HTTPClient.Configuration {
    /// The configuration the AWS clients expect: redirects off (S3 answers a wrong region with a 301
    /// that must surface as an error), bytes as sent (no decompression), a 10 s connect timeout, and
    /// a 60 s read timeout, which bounds the silence inside a streamed body.
    public static var awsDefault: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(60)),
            decompression: .disabled
        )
        configuration.httpVersion = .automatic
        return configuration
    }
}
