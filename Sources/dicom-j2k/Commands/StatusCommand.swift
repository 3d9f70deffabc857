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
        let output = try await common.withClients { s3, _, logger -> TaskStatus? in
            let store = S3ResultStore(s3: s3, prefix: prefix, logger: logger)
            guard let result = try await store.load(taskId: taskId) else { return nil }
            return try await TaskStatus(result) { () throws(JobError) in try await store.loadAll() }
        }
        guard let output else {
            printToStandardError("no result for task \(taskId) in \(prefix)")
            throw ExitCode(1)
        }
        try printJSON(output)
    }
}
