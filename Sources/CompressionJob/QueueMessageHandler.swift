import Foundation
import Logging

/// One message taken from the job queue, as both runtimes see it: the SQS long-poller
/// (ReceiveMessage) and the Lambda runtime (a record of an SQS event).
package struct QueueMessage: Sendable, Equatable {
    /// The SQS message id (the default task id is `comp-` + this).
    package var messageId: String
    /// The job message, UTF-8 JSON.
    package var body: String
    /// When the producer sent it (SQS `SentTimestamp`); `nil` when the queue did not say.
    package var sentAt: Date?
    /// Deliveries so far, this one included (SQS `ApproximateReceiveCount`); 1 when unknown.
    package var receiveCount: Int

    package init(messageId: String, body: String, sentAt: Date? = nil, receiveCount: Int = 1) {
        self.messageId = messageId
        self.body = body
        self.sentAt = sentAt
        self.receiveCount = max(1, receiveCount)
    }
}

/// What became of one message, and so what the runtime does with it.
package enum MessageDisposition: Sendable, Equatable {
    /// The job completed now or had completed before (a redelivery): the message is done.
    /// The poller deletes it; the Lambda runtime reports it as processed.
    case completed
    /// The message can never succeed (malformed, refused by the allow-list or the limits); its
    /// failed result is written. The poller deletes it; the Lambda runtime reports it in
    /// `batchItemFailures`, so SQS redrives it to the dead-letter queue where operators see it.
    case rejected(reason: String)
    /// The job failed in a way a later attempt may not (S3 unavailable, cancelled by shutdown or
    /// the deadline). The message stays in the queue for redelivery (the poller makes it visible
    /// again; Lambda reports it in `batchItemFailures`) and reaches the DLQ after maxReceiveCount.
    case retry(reason: String)
}

/// Runs the job one message describes. The SQS poller and the Lambda runtime are only wiring
/// around an implementation of this protocol.
package protocol QueueMessageHandler: Sendable {
    /// Handles one message to the end. Never throws: every failure is a disposition, and the
    /// result JSON records it.
    ///
    /// - Parameters:
    ///   - message: the message as received.
    ///   - logger: the runtime's logger (already carrying the message id).
    /// - Returns: what the runtime should do with the message. When the task is cancelled (shutdown,
    ///   deadline) the handler stops the job, aborts any partial output and returns ``MessageDisposition/retry(reason:)``.
    func handle(_ message: QueueMessage, logger: Logger) async -> MessageDisposition
}
