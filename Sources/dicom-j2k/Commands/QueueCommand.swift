import AWSClients
import ArgumentParser
import CompressionAPI
import CompressionJob
import Foundation

/// `dicom-j2k queue`: depth, in flight, oldest queued task, estimated wait (``QueueSnapshot``, the
/// same as `GET /queue`).
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
        let snapshot = try await common.withClients { s3, sqs, logger in
            try await QueueSnapshot.read(
                queueURL: queue,
                sqs: sqs,
                results: prefix.map { S3ResultStore(s3: s3, prefix: $0, logger: logger) },
                logger: logger
            )
        }
        try printJSON(snapshot)
    }
}
