import Foundation
import Logging
import ResourceMonitor
import ZIPStream

/// What is fixed about a job when it first starts, and kept by every redelivery: the task, its
/// options, where it reads and writes, when it was created and started.
package struct JobContext: Sendable, Equatable {
    package var taskId: String
    package var options: JobOptions
    /// `s3://bucket/prefix/` or a folder path.
    package var sourceURI: String
    /// The chosen output (`s3://bucket/key.zip` or a file path); `nil` before it is chosen.
    package var targetURI: String?
    package var createdAt: Date
    package var startedAt: Date?
    /// Seconds from the message's send time to the start of this attempt (0 without a queue).
    package var queueWaitTime: Double
    package var worker: WorkerInfo

    package init(
        taskId: String,
        options: JobOptions,
        sourceURI: String,
        targetURI: String? = nil,
        createdAt: Date,
        startedAt: Date? = nil,
        queueWaitTime: Double = 0,
        worker: WorkerInfo
    ) {
        self.taskId = taskId
        self.options = options
        self.sourceURI = sourceURI
        self.targetURI = targetURI
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.queueWaitTime = queueWaitTime
        self.worker = worker
    }
}

/// The limits a job's listing must stay within before anything is downloaded.
package struct JobLimits: Sendable, Equatable {
    package var maxFiles: Int
    package var maxJobBytes: Int
    package var maxFileBytes: Int

    package init(maxFiles: Int, maxJobBytes: Int, maxFileBytes: Int) {
        self.maxFiles = maxFiles
        self.maxJobBytes = maxJobBytes
        self.maxFileBytes = maxFileBytes
    }

    /// No limits (tests, tools).
    package static let none = JobLimits(maxFiles: .max, maxJobBytes: .max, maxFileBytes: .max)

    /// Refuses a listing over a limit. A single file over `maxFileBytes` refuses the whole job:
    /// reading it would exceed the worker's memory budget, and leaving it out would drop an input.
    /// - Throws: ``JobError/Code/refused`` naming the limit (never a key: keys may carry names).
    package func check(_ objects: [SourceObject], logger: Logger) throws(JobError) {
        guard objects.count <= maxFiles else {
            throw JobError(.refused, "\(objects.count) files exceed MAX_FILES_PER_JOB=\(maxFiles)")
        }
        let total = objects.totalSize
        var oversized = 0
        for object in objects {
            if object.size > maxFileBytes {
                oversized += 1
                logger.debug(
                    "input over MAX_FILE_BYTES",
                    metadata: ["key": "\(object.key)", "bytes": "\(object.size)"]
                )
            }
        }
        guard total <= maxJobBytes else {
            throw JobError(.refused, "\(total) bytes of input exceed MAX_JOB_BYTES=\(maxJobBytes)")
        }
        guard oversized == 0 else {
            throw JobError(.refused, "\(oversized) file(s) larger than MAX_FILE_BYTES=\(maxFileBytes)")
        }
    }
}

/// Runs one job from any source to any destination: list, check the limits, stream through the
/// pipeline, and build the result. The only place a job's result is assembled; the local run, the
/// S3 job and the queue handler differ only in what they plug in.
package struct JobRunner<Processor: FileProcessor> {
    package var context: JobContext
    package var threads: Int
    package var limits: JobLimits
    package var processor: Processor

    package init(context: JobContext, threads: Int, limits: JobLimits = .none, processor: Processor) {
        self.context = context
        self.threads = threads
        self.limits = limits
        self.processor = processor
    }

    /// Runs the job. Never throws: a failure (cancellation included) is a `failed` result with its
    /// error, and the destination has discarded whatever was written.
    package func run(source: any JobSource, destination: any JobDestination, logger: Logger) async -> JobResult {
        let started = context.startedAt ?? Date()
        var context = context
        context.startedAt = started
        context.targetURI = destination.location
        let sampler = ResourceSampler()
        sampler.start()
        let clock = PhaseClock()
        let began = DispatchTime.now().uptimeNanoseconds
        var report: PipelineReport?
        var failure: JobError?
        do {
            let objects = try await clock.measure(.download) { try await source.list() }
            try limits.check(objects, logger: logger)
            logger.info("job started", metadata: ["files": "\(objects.count)", "threads": "\(threads)"])
            let pipeline = CompressionPipeline(
                source: source,
                processor: processor,
                configuration: .init(
                    threads: threads,
                    qualityCheck: context.options.qualityCheck,
                    entryTimestamp: started,
                    neutralEntryNames: context.options.anonymize
                ),
                logger: logger
            )
            report = try await destination.withArchive { sink in
                try await pipeline.run(objects: objects, into: ZIPStreamWriter(sink: sink), clock: clock)
            }
        } catch {
            // A cancelled task's requests fail with transport errors too: report the cause.
            failure =
                Task.isCancelled
                ? JobError(.cancelled, "the job was cancelled before it finished")
                : JobError.wrapping(error, as: .outputFailed)
        }
        let usage = sampler.stop()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        var result = JobResult(context: context, status: failure == nil ? .completed : .failed, timestamp: Date())
        result.completedAt = result.timestamp
        result.error = failure
        if let report {
            result.record(
                report,
                usage: usage,
                clock: clock,
                processingTime: elapsed,
                queueWaitTime: context.queueWaitTime
            )
        }
        if let failure {
            if failure.code == .cancelled {
                logger.warning("job cancelled")
            } else {
                // The message may name an object key: only at debug level.
                logger.error("job failed", metadata: ["error.code": "\(failure.code)"])
                logger.debug("job failure", metadata: ["error": "\(failure.message)"])
            }
        }
        logger.info(
            "job finished",
            metadata: [
                "status": "\(result.status.rawValue)",
                "seconds": "\(String(format: "%.2f", elapsed))",
                "ratio": "\(String(format: "%.1f", result.compressionStats?.compressionRatio ?? 0))",
            ]
        )
        return result
    }
}

extension JobResult {
    /// A result document for `context` in `status`, without figures.
    package init(context: JobContext, status: Status, timestamp: Date) {
        self.init(
            taskId: context.taskId,
            status: status,
            timestamp: timestamp,
            s3SourceUri: context.sourceURI,
            options: context.options,
            worker: context.worker
        )
        createdAt = context.createdAt
        startedAt = context.startedAt
        s3CompressedPath = context.targetURI
    }

    /// A `failed` result for a job that ended before (or instead of) running.
    package static func failed(_ context: JobContext, _ error: JobError, at date: Date = Date()) -> JobResult {
        var result = JobResult(context: context, status: .failed, timestamp: date)
        result.completedAt = date
        result.error = error
        return result
    }

    /// What the context fixed, as the job sees it when it starts again: the result of an earlier
    /// attempt (its target, creation and start time).
    package var context: JobContext {
        JobContext(
            taskId: taskId,
            options: options,
            sourceURI: s3SourceUri,
            targetURI: s3CompressedPath,
            createdAt: createdAt ?? timestamp,
            startedAt: startedAt,
            worker: worker
        )
    }

    /// Fills in the files, the quality block and the statistics from a finished pipeline.
    mutating func record(
        _ report: PipelineReport,
        usage: ResourceSummary,
        clock: PhaseClock,
        processingTime: Double,
        queueWaitTime: Double
    ) {
        files = report.files
        quality = report.qualitySummary
        compressionStats = CompressionStats(
            originalSize: report.originalSize,
            compressedSize: report.compressedSize,
            pixelDataRatio: report.pixelDataRatio,
            processingTime: processingTime,
            downloadTime: clock.seconds(.download),
            compressionTime: clock.seconds(.compression),
            uploadTime: clock.seconds(.upload),
            queueWaitTime: queueWaitTime,
            processedFiles: report.files.count,
            compressedFiles: report.count(.compressed),
            copiedFiles: report.count(.copied),
            skippedFiles: report.count(.skipped),
            failedFiles: report.count(.failed),
            cpuPeak: usage.processCPUPeakPercent,
            cpuTimeUser: usage.cpuTimeUser,
            cpuTimeSystem: usage.cpuTimeSystem,
            memoryPeak: Int(clamping: usage.processMemoryPeakBytes),
            system: SystemStats(
                cpuBaseline: usage.systemCPUBaselinePercent,
                cpuPeak: usage.systemCPUPeakPercent,
                memoryBaseline: Int(clamping: usage.systemMemoryBaselineBytes),
                memoryPeak: Int(clamping: usage.systemMemoryPeakBytes)
            )
        )
    }
}
