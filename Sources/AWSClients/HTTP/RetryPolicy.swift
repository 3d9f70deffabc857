import Synchronization

/// How failed requests are retried: the AWS SDKs' "standard" mode.
///
/// - A failure is retried when it is transient (HTTP 500/502/503/504, `RequestTimeout`,
///   `InternalError`, a reset or closed connection, a timeout) or throttling (HTTP 429, `SlowDown`,
///   `Throttling…`), at most ``maxAttempts`` attempts in all.
/// - Before retry *n* (1, 2, …) the client waits a random time in `[0, min(baseDelay · 2^(n−1), maxBackoff))`
///   ("full jitter"), so many clients failing together do not retry in lockstep.
/// - A retry quota shared by one client (500 tokens; a retry costs 5, after a timeout 10; a success
///   returns 1) stops retry storms while a service is down.
/// - A request body that was a one-shot stream and has been read is never sent again.
///
/// The random source and the sleep are injectable, so tests can check delays without waiting.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included (`1` disables retries). Default 3, as the SDKs.
    public var maxAttempts: Int
    /// The backoff before the first retry, before jitter. Default 1 s.
    public var baseDelay: Duration
    /// The cap on any backoff, before jitter. Default 20 s.
    public var maxBackoff: Duration
    /// Whether the shared retry quota applies. Default true.
    public var usesRetryQuota: Bool
    /// Returns a number in `[0, 1)`.
    package var random: @Sendable () -> Double
    /// Waits; throws `CancellationError` when the task is cancelled.
    package var sleep: @Sendable (Duration) async throws -> Void

    /// The SDKs' standard mode with `maxAttempts` attempts.
    public static func standard(
        maxAttempts: Int = 3,
        baseDelay: Duration = .seconds(1),
        maxBackoff: Duration = .seconds(20)
    ) -> RetryPolicy {
        RetryPolicy(
            maxAttempts: max(1, maxAttempts),
            baseDelay: baseDelay,
            maxBackoff: maxBackoff,
            usesRetryQuota: true,
            random: { Double.random(in: 0..<1) },
            sleep: { try await Task.sleep(for: $0) }
        )
    }

    /// No retries: every failure is final.
    public static var none: RetryPolicy { .standard(maxAttempts: 1) }

    /// The same policy with a deterministic random source and sleep, for tests.
    package func withTestHooks(
        random: @escaping @Sendable () -> Double,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) -> RetryPolicy {
        var copy = self
        copy.random = random
        copy.sleep = sleep
        return copy
    }

    /// The wait before retry number `retry` (1 for the first retry).
    package func delay(beforeRetry retry: Int) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let ceiling = min(baseDelay * (1 << exponent), maxBackoff)
        let factor = min(max(random(), 0), 1)
        return ceiling * factor
    }
}

/// Why a failure may be retried.
package enum RetryDisposition: Sendable, Equatable {
    /// Not retryable: the request itself is wrong, or the outcome is final.
    case final
    /// A transient server or network fault.
    case transient
    /// The service asked the client to slow down.
    case throttling
    /// An attempt timed out.
    case timeout
}

/// Errors that know whether retrying can help.
package protocol RetryClassifiable: Error {
    var retryDisposition: RetryDisposition { get }
}

/// AWS error codes that mean "slow down" (the SDKs' list).
package let throttlingErrorCodes: Set<String> = [
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
    "PriorRequestNotComplete", "EC2ThrottledException", "AWS.SimpleQueueService.RequestThrottled",
]

/// AWS error codes of transient faults (the SDKs' list).
package let transientErrorCodes: Set<String> = [
    "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "ServiceUnavailable",
    "AWS.SimpleQueueService.ServiceUnavailable", "AWS.SimpleQueueService.InternalError",
]

/// Classifies a service error response by HTTP status and AWS error code.
package func classifyServiceError(status: Int?, errorCode: String) -> RetryDisposition {
    if throttlingErrorCodes.contains(errorCode) || status == 429 { return .throttling }
    if transientErrorCodes.contains(errorCode) { return .transient }
    if let status, [500, 502, 503, 504].contains(status) { return .transient }
    return .final
}

/// The standard mode's retry quota: shared by all requests of one client.
package final class RetryQuota: Sendable {
    private let state: Mutex<Int>
    package static let initialTokens = 500
    private static let retryCost = 5
    private static let timeoutRetryCost = 10

    package init() { state = Mutex(Self.initialTokens) }

    /// Takes the cost of one retry; false when the quota is spent.
    package func acquire(for disposition: RetryDisposition) -> Int? {
        let cost = disposition == .timeout ? Self.timeoutRetryCost : Self.retryCost
        return state.withLock { tokens in
            guard tokens >= cost else { return nil }
            tokens -= cost
            return cost
        }
    }

    /// Gives back what the retry took when it succeeded, or one token for a first-try success.
    package func release(_ cost: Int?) {
        state.withLock { tokens in tokens = min(Self.initialTokens, tokens + (cost ?? 1)) }
    }

    package var available: Int { state.withLock { $0 } }
}
