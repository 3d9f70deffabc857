import AWSClients
import CompressionJob
import Foundation
import Logging

/// The job queue at a glance: what the `queue` verb prints, `GET /queue` answers and the dashboard shows.
package struct QueueSnapshot: Sendable, Codable, Equatable {
    /// Messages waiting (SQS ApproximateNumberOfMessages).
    package var depth: Int
    /// Messages received and not yet deleted (ApproximateNumberOfMessagesNotVisible).
    package var inFlight: Int
    /// Seconds since the oldest task still `queued` was enqueued (from the result documents).
    package var oldestQueuedAge: Double?
    /// Mean processing time of the recent completed jobs, seconds.
    package var meanProcessingTime: Double?
    /// Seconds until a message sent now would start, one worker, at the recent mean.
    package var estimatedWait: Double?

    package init(
        depth: Int,
        inFlight: Int,
        oldestQueuedAge: Double? = nil,
        meanProcessingTime: Double? = nil,
        estimatedWait: Double? = nil
    ) {
        self.depth = depth
        self.inFlight = inFlight
        self.oldestQueuedAge = oldestQueuedAge
        self.meanProcessingTime = meanProcessingTime
        self.estimatedWait = estimatedWait
    }

    /// The SQS attributes the snapshot needs.
    package static let attributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]

    /// The snapshot from the queue's attributes and the stored results.
    ///
    /// SQS reports the oldest message's age only as a CloudWatch metric; the queued result documents
    /// carry their creation time, which is the same moment for enqueued jobs.
    package init(attributes: [String: String], results: [JobResult], now: Date) {
        // Untrusted text: a value that is not a count counts as 0 rather than trapping.
        let depth = attributes["ApproximateNumberOfMessages"].flatMap { Int($0) }.map { max(0, $0) } ?? 0
        let inFlight = attributes["ApproximateNumberOfMessagesNotVisible"].flatMap { Int($0) }.map { max(0, $0) } ?? 0
        let oldest = results.filter { $0.status == .queued }.compactMap(\.createdAt).min()
        let mean = JobQueries.meanProcessingTime(results)
        self.init(
            depth: depth,
            inFlight: inFlight,
            oldestQueuedAge: oldest.map { max(0, now.timeIntervalSince($0)) },
            meanProcessingTime: mean,
            estimatedWait: mean.map { (Double(depth) + Double(inFlight)) * $0 }
        )
    }

    /// Reads the queue's attributes and (when a store is given) the results.
    /// - Throws: the SQS client's error when the attributes cannot be read; an unreadable result
    ///   store only leaves the estimates out.
    package static func read(
        queueURL: String,
        sqs: SQSClient,
        results store: (any ResultStore)?,
        now: Date = Date(),
        logger: Logger
    ) async throws -> QueueSnapshot {
        let attributes = try await sqs.getQueueAttributes(queueURL: queueURL, names: attributeNames, logger: logger)
        var results: [JobResult] = []
        if let store { results = (try? await store.loadAll()) ?? [] }
        return QueueSnapshot(attributes: attributes, results: results, now: now)
    }
}
