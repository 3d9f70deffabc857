import Foundation
import Logging

/// What the Runtime API says about one invocation, as the handler sees it.
public struct LambdaContext: Sendable {
    /// `Lambda-Runtime-Aws-Request-Id`.
    public var requestID: String
    /// `Lambda-Runtime-Trace-Id` (X-Ray), if sent.
    public var traceID: String?
    /// `Lambda-Runtime-Invoked-Function-Arn`, if sent.
    public var invokedFunctionARN: String?
    /// When Lambda stops the invocation (`Lambda-Runtime-Deadline-Ms`, wall clock).
    public var deadline: Date
    /// The runtime's logger with `aws-request-id` attached.
    public var logger: Logger
    /// The clock the remaining time is measured on (injected by tests).
    private let now: @Sendable () -> Date

    package init(
        requestID: String,
        traceID: String? = nil,
        invokedFunctionARN: String? = nil,
        deadline: Date,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.requestID = requestID
        self.traceID = traceID
        self.invokedFunctionARN = invokedFunctionARN
        self.deadline = deadline
        self.logger = logger
        self.now = now
    }

    /// Time left before the deadline (negative once it has passed).
    public var remainingTime: Duration {
        let seconds = deadline.timeIntervalSince(now())
        return .milliseconds(Int64((seconds * 1000).rounded(.down)))
    }
}
