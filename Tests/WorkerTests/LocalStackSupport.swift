import AWSClients
import TestSupport

/// The shared LocalStack of `scripts/test.sh` (TestSupport's ``TestLocalStack``); each test works on
/// a queue of its own (``TestLocalStack/withQueue(_:name:visibilityTimeout:maxReceiveCount:_:)``).
typealias LocalStack = TestLocalStack

extension TestLocalStack {
    /// A queue of its own (and a DLQ when `maxReceiveCount` is given), deleted after `body`.
    func withQueue<T>(
        _ sqs: SQSClient,
        name: String,
        visibilityTimeout: Int = 30,
        maxReceiveCount: Int? = nil,
        _ body: (_ queueURL: String, _ dlqURL: String?) async throws -> T
    ) async throws -> T {
        try await Self.withQueue(
            sqs,
            name: "worker-" + name,
            visibilityTimeout: visibilityTimeout,
            maxReceiveCount: maxReceiveCount,
            body
        )
    }
}
