import Foundation
import Logging
import ResourceMonitor
import ZIPStream

/// `dicom-j2k run`: one job from a local folder to a local ZIP, with the same pipeline and result
/// JSON as the queue worker.
package struct LocalJob {
    package var taskId: String
    package var sourceFolder: URL
    package var targetZip: URL
    package var options: JobOptions
    package var threads: Int
    package var worker: WorkerInfo

    package init(
        taskId: String,
        sourceFolder: URL,
        targetZip: URL,
        options: JobOptions,
        threads: Int,
        worker: WorkerInfo
    ) {
        self.taskId = taskId
        self.sourceFolder = sourceFolder
        self.targetZip = targetZip
        self.options = options
        self.threads = threads
        self.worker = worker
    }

    /// Runs the job. Never throws: a failure (cancellation included) is a result with status
    /// `failed` and an error; the ZIP is written under a temporary name and renamed only when
    /// complete, so a failed job leaves no partial archive behind.
    package func run(processor: some FileProcessor, logger: Logger) async -> JobResult {
        var logger = logger
        logger[metadataKey: "taskId"] = "\(taskId)"
        let start = Date()
        var result = JobResult(
            taskId: taskId,
            status: .processing,
            timestamp: start,
            s3SourceUri: sourceFolder.path,
            options: options,
            worker: worker
        )
        result.createdAt = start
        result.startedAt = start
        result.s3CompressedPath = targetZip.path

        let sampler = ResourceSampler()
        sampler.start()
        let clock = PhaseClock()
        let began = DispatchTime.now().uptimeNanoseconds
        let partial = targetZip.deletingLastPathComponent()
            .appendingPathComponent(".\(targetZip.lastPathComponent).partial-\(UUID().uuidString.prefix(8))")
        var report: PipelineReport?
        do {
            let source = LocalFolderSource(root: sourceFolder)
            let objects = try await clock.measure(.download) { try await source.list() }
            logger.info("job started", metadata: ["files": "\(objects.count)", "threads": "\(threads)"])
            let sink = try FileZIPSink(url: partial)
            defer { try? sink.close() }
            let zip = ZIPStreamWriter(sink: sink)
            let pipeline = CompressionPipeline(
                source: source,
                processor: processor,
                configuration: .init(threads: threads, qualityCheck: options.qualityCheck, entryTimestamp: start),
                logger: logger
            )
            report = try await pipeline.run(objects: objects, into: zip, clock: clock)
            try sink.close()
            if FileManager.default.fileExists(atPath: targetZip.path) {
                try FileManager.default.removeItem(at: targetZip)
            }
            try FileManager.default.moveItem(at: partial, to: targetZip)
            result.status = .completed
        } catch {
            try? FileManager.default.removeItem(at: partial)
            result.status = .failed
            result.error = Self.jobError(error)
            if error is CancellationError {
                logger.warning("job cancelled")
            } else {
                logger.error("job failed", metadata: ["error": "\(error)"])
            }
        }
        let usage = sampler.stop()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        let end = Date()
        result.success = result.status == .completed
        result.timestamp = end
        result.completedAt = end
        if let report {
            result.files = report.files
            result.quality = report.qualitySummary
            result.compressionStats = CompressionStats(
                originalSize: report.originalSize,
                compressedSize: report.compressedSize,
                pixelDataRatio: report.pixelDataRatio,
                processingTime: elapsed,
                downloadTime: clock.seconds(.download),
                compressionTime: clock.seconds(.compression),
                uploadTime: clock.seconds(.upload),
                queueWaitTime: 0,
                processedFiles: report.files.count,
                compressedFiles: report.count(.compressed),
                copiedFiles: report.count(.copied),
                skippedFiles: report.count(.skipped),
                failedFiles: report.count(.failed),
                cpuPeak: usage.processCPUPeakPercent,
                cpuTimeUser: usage.cpuTimeUser,
                cpuTimeSystem: usage.cpuTimeSystem,
                memoryPeak: Int(usage.processMemoryPeakBytes),
                system: SystemStats(
                    cpuBaseline: usage.systemCPUBaselinePercent,
                    cpuPeak: usage.systemCPUPeakPercent,
                    memoryBaseline: Int(usage.systemMemoryBaselineBytes),
                    memoryPeak: Int(usage.systemMemoryPeakBytes)
                )
            )
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

    /// The result's error for what ended the job: a stable code and the message.
    static func jobError(_ error: any Error) -> JobError {
        switch error {
        case is CancellationError: JobError(code: "cancelled", message: "the job was cancelled before it finished")
        case is JobSourceError: JobError(code: "sourceUnavailable", message: "\(error)")
        default: JobError(code: "outputFailed", message: "\(error)")
        }
    }
}
