import Foundation
import Logging

/// `dicom-j2k run` on local folders: a ``LocalFolderSource`` and a ``LocalZIPDestination`` plugged
/// into the one ``JobRunner``, so the result is the queue worker's.
package struct LocalJob {
    package var taskId: String
    package var sourceFolder: URL
    package var targetZip: URL
    package var options: JobOptions
    package var threads: Int
    package var worker: WorkerInfo
    package var limits: JobLimits

    package init(
        taskId: String,
        sourceFolder: URL,
        targetZip: URL,
        options: JobOptions,
        threads: Int,
        worker: WorkerInfo,
        limits: JobLimits = .none
    ) {
        self.taskId = taskId
        self.sourceFolder = sourceFolder
        self.targetZip = targetZip
        self.options = options
        self.threads = threads
        self.worker = worker
        self.limits = limits
    }

    /// Runs the job. Never throws: a failure (cancellation included) is a result with status
    /// `failed` and an error; the ZIP is written under a temporary name and renamed only when
    /// complete, so a failed job leaves no partial archive behind.
    package func run(processor: some FileProcessor, logger: Logger) async -> JobResult {
        var logger = logger
        logger[metadataKey: "taskId"] = "\(taskId)"
        let source = LocalFolderSource(root: sourceFolder)
        let now = Date()
        let context = JobContext(
            taskId: taskId,
            options: options,
            sourceURI: source.location,
            createdAt: now,
            startedAt: now,
            worker: worker
        )
        if let unavailable = options.conflictingOptions() {
            var failedContext = context
            failedContext.targetURI = targetZip.path
            return .failed(failedContext, unavailable)
        }
        let runner = JobRunner(context: context, threads: threads, limits: limits, processor: processor)
        return await runner.run(source: source, destination: LocalZIPDestination(url: targetZip), logger: logger)
    }
}
