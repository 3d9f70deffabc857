import AWSClients
import ArgumentParser
import CompressionJob
import Foundation

/// `dicom-j2k status TASKID`: the task's result JSON; for a queued task its place in the queue.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print a task's result JSON (with queue position and estimated wait while queued)."
    )

    @Argument(help: "The task id.")
    var taskId: String

    @OptionGroup var common: JobCommandOptions

    func run() async throws {
        let configuration = try common.workerConfiguration()
        let prefix = try common.resultsPrefix(configuration)
        let output = try await common.withClients { s3, _, logger -> StatusOutput? in
            let store = S3ResultStore(s3: s3, prefix: prefix, logger: logger)
            guard let result = try await store.load(taskId: taskId) else { return nil }
            guard result.status == .queued else { return StatusOutput(result: result) }
            let position = JobQueries.queuePosition(of: result, among: try await store.loadAll())
            return StatusOutput(result: result, queuePosition: position.ahead, estimatedWait: position.estimatedWait)
        }
        guard let output else {
            printToStandardError("no result for task \(taskId) in \(prefix)")
            throw ExitCode(1)
        }
        try printJSON(output)
    }
}

/// The result, plus the queue estimate for a queued task.
private struct StatusOutput: Encodable {
    var result: JobResult
    /// Queued tasks created before this one.
    var queuePosition: Int?
    /// Seconds, from the recent mean processing time.
    var estimatedWait: Double?

    func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        enum Keys: String, CodingKey { case queuePosition, estimatedWait }
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(queuePosition, forKey: .queuePosition)
        try container.encodeIfPresent(estimatedWait, forKey: .estimatedWait)
    }
}
