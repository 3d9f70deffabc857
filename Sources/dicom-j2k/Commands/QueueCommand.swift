import AWSClients
import ArgumentParser
import CompressionJob
import Foundation

/// `dicom-j2k queue`: depth, in flight, oldest queued task, estimated wait.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Show the job queue: messages waiting and in flight, the oldest queued task, the estimated wait."
    )

    @Option(name: .customLong("queue-url"), help: "The job queue (default: QUEUE_URL).")
    var queueURL: String?

    @OptionGroup var common: JobCommandOptions

    func run() async throws {
        let configuration = try common.workerConfiguration()
        guard let queue = queueURL ?? configuration.queueURL else {
            throw ValidationError("set --queue-url or QUEUE_URL")
        }
        let prefix = try? common.resultsPrefix(configuration)
        let status = try await common.withClients { s3, sqs, logger -> QueueStatus in
            let attributes = try await sqs.getQueueAttributes(
                queueURL: queue,
                names: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                logger: logger
            )
            let depth = attributes["ApproximateNumberOfMessages"].flatMap { Int($0) } ?? 0
            let inFlight = attributes["ApproximateNumberOfMessagesNotVisible"].flatMap { Int($0) } ?? 0
            // SQS reports the oldest message's age only as a CloudWatch metric; the queued result
            // documents carry their creation time, which is the same moment for `enqueue`d jobs.
            var results: [JobResult] = []
            if let prefix {
                results = (try? await S3ResultStore(s3: s3, prefix: prefix, logger: logger).loadAll()) ?? []
            }
            let oldest = results.filter { $0.status == .queued }.compactMap(\.createdAt).min()
            let mean = JobQueries.meanProcessingTime(results)
            return QueueStatus(
                depth: depth,
                inFlight: inFlight,
                oldestQueuedAge: oldest.map { Date().timeIntervalSince($0) },
                meanProcessingTime: mean,
                estimatedWait: mean.map { Double(depth + inFlight) * $0 }
            )
        }
        try printJSON(status)
    }
}

private struct QueueStatus: Encodable {
    var depth: Int
    var inFlight: Int
    /// Seconds since the oldest task still `queued` was enqueued (from the result documents).
    var oldestQueuedAge: Double?
    var meanProcessingTime: Double?
    /// Seconds until a message sent now would start, one worker, at the recent mean.
    var estimatedWait: Double?
}
