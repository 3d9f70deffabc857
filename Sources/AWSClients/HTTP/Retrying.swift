import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs `attempt` until it succeeds, fails finally, or the policy's attempts, the retry quota or
/// the deadline run out. The error of the last attempt is rethrown unchanged.
///
/// - Parameters:
///   - canRetry: checked after a failure; false when the request body was a one-shot stream that
///     has been read, which must never be sent again.
///   - deadline: the operation's deadline; a retry whose backoff would pass it is not made.
///   - attempt: runs one attempt; receives its number (1, 2, …).
package func withRetries<T>(
    policy: RetryPolicy,
    quota: RetryQuota?,
    operation: String,
    deadline: ContinuousClock.Instant?,
    logger: Logger,
    canRetry: @autoclosure () -> Bool = true,
    _ attempt: (Int) async throws -> T
) async throws -> T {
    var number = 1
    var heldCost: Int?
    while true {
        try Task.checkCancellation()
        do {
            let result = try await attempt(number)
            if policy.usesRetryQuota { quota?.release(heldCost) }
            return result
        } catch {
            // A failure caused by the caller's cancellation is reported as such.
            if Task.isCancelled { throw CancellationError() }
            let disposition = classifyForRetry(error)
            guard disposition != .final, number < policy.maxAttempts, canRetry() else {
                throw error
            }
            if policy.usesRetryQuota, let quota {
                guard let cost = quota.acquire(for: disposition) else {
                    logger.debug(
                        "AWS retry quota exhausted",
                        metadata: ["aws.operation": "\(operation)", "aws.attempt": "\(number)"]
                    )
                    throw error
                }
                heldCost = cost
            }
            let delay = policy.delay(beforeRetry: number)
            if let deadline, ContinuousClock.now + delay >= deadline { throw error }
            logger.debug(
                "retrying AWS request",
                metadata: [
                    "aws.operation": "\(operation)", "aws.attempt": "\(number)",
                    "aws.retry_delay_ms":
                        "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)",
                    "aws.retry_reason": "\(disposition)", "error": "\(error)",
                ]
            )
            // Cancellation is checked before sleeping, and the sleep itself ends on cancellation.
            try Task.checkCancellation()
            try await policy.sleep(delay)
            number += 1
        }
    }
}

/// Whether an error thrown by an attempt may be retried, and why.
package func classifyForRetry(_ error: any Error) -> RetryDisposition {
    switch error {
    case is CancellationError:
        return .final
    case let classified as any RetryClassifiable:
        return classified.retryDisposition
    default:
        return transportDisposition(error) ?? .final
    }
}

/// Classifies errors of the HTTP stack; `nil` for anything not known to be transient, which is
/// then final (docs/aws.md has the table and the reasons).
///
/// - timeouts (connect, read, write, TLS handshake, pool, deadline): `.timeout`;
/// - a connection refused, reset, closed or cut short, and a failed name lookup: `.transient`;
/// - TLS verification and handshake failures, invalid URLs, unknown errors: not retried (`nil`).
package func transportDisposition(_ error: any Error) -> RetryDisposition? {
    if let error = error as? HTTPClientError {
        switch error {
        case .readTimeout, .writeTimeout, .connectTimeout, .deadlineExceeded, .tlsHandshakeTimeout,
            .getConnectionFromPoolTimeout:
            return .timeout
        case .remoteConnectionClosed, .bodyLengthMismatch:
            return .transient
        default:
            return nil
        }
    }
    if let error = error as? IOError { return transientErrnos.contains(error.errnoCode) ? .transient : nil }
    // Refused connections and failed DNS lookups (resolver hiccups happen in Lambda and VPCs).
    if error is NIOConnectionError { return .transient }
    if error is SocketAddressError.UnknownHost { return .transient }
    if case SocketAddressError.unknown = error { return .transient }
    // A connection closed before the announced end of the body surfaces as a parse error.
    if error is HTTPParserError { return .transient }
    if let error = error as? ChannelError {
        switch error {
        case .connectTimeout: return .timeout
        case .ioOnClosedChannel, .eof, .alreadyClosed, .outputClosed, .inputClosed: return .transient
        default: return nil
        }
    }
    return nil
}

/// The `errno` values of a network fault worth another attempt.
private let transientErrnos: Set<Int32> = [
    ECONNRESET, ECONNREFUSED, ECONNABORTED, EPIPE, ETIMEDOUT, ENETUNREACH, ENETDOWN, EHOSTUNREACH, EHOSTDOWN,
    EAGAIN,
]

extension AWSClientError: RetryClassifiable {
    package var retryDisposition: RetryDisposition {
        switch code {
        case .timeout: .timeout
        case .connection: .transient
        // .requestFailed (TLS, protocol, unknown), .configuration, .credentials, … are final.
        default: .final
        }
    }

    /// Wraps an error of the HTTP stack in a typed client error; other errors pass through.
    package static func wrapping(_ error: any Error, operation: String) -> any Error {
        if error is AWSClientError || error is CancellationError || error is any RetryClassifiable {
            return error
        }
        switch transportDisposition(error) {
        case .timeout:
            return AWSClientError(.timeout, "the request timed out", operation: operation, underlying: error)
        case .transient:
            return AWSClientError(
                .connection,
                "the connection failed or was closed",
                operation: operation,
                underlying: error
            )
        default:
            // (An unsupported scheme cannot get here: AWSEndpoint accepts http and https only.)
            if let error = error as? HTTPClientError, [.invalidURL, .emptyHost, .emptyScheme].contains(error) {
                return AWSClientError(
                    .configuration,
                    "the endpoint URL is invalid",
                    operation: operation,
                    underlying: error
                )
            }
            // TLS verification and handshake failures, protocol errors, anything unknown: another
            // attempt would fail the same way, so it is not made.
            return AWSClientError(.requestFailed, "the HTTP request failed", operation: operation, underlying: error)
        }
    }
}

/// Runs `body` with a time limit; when it is exceeded, `body` is cancelled and a
/// ``AWSClientError/Code/timeout`` error is thrown.
package func withTimeout<T: Sendable>(
    _ limit: Duration,
    operation: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw AWSClientError(.timeout, "no complete response within \(limit)", operation: operation)
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else {
            throw AWSClientError(.timeout, "no response", operation: operation)
        }
        return first
    }
}
