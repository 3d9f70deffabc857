import EMF
import Foundation
import Transcoder

/// The one EMF record per job (docs/contracts.md, "Metrics"): dimensions `library`, `codec` and `outcome`,
/// the headline figures of the result, and the task id as a property, never a dimension.
package enum JobMetrics {
    package static func record(for result: JobResult, namespace: String, at date: Date = Date()) -> EMFRecord {
        let stats = result.compressionStats
        var metrics: [EMFRecord.Metric] = [
            .init("ProcessingTime", stats?.processingTime ?? 0, .seconds),
            .init("DownloadTime", stats?.downloadTime ?? 0, .seconds),
            .init("CompressionTime", stats?.compressionTime ?? 0, .seconds),
            .init("UploadTime", stats?.uploadTime ?? 0, .seconds),
            .init("QueueWaitTime", stats?.queueWaitTime ?? 0, .seconds),
            .init("OriginalBytes", Double(stats?.originalSize ?? 0), .bytes),
            .init("CompressedBytes", Double(stats?.compressedSize ?? 0), .bytes),
            .init("CompressionRatio", stats?.compressionRatio ?? 0, .none),
            .init("FilesProcessed", Double(stats?.processedFiles ?? 0), .count),
            .init("FilesFailed", Double(stats?.failedFiles ?? 0), .count),
            .init("MemoryPeak", Double(stats?.memoryPeak ?? 0) / (1024 * 1024), .megabytes),
            .init("CPUPeak", stats?.cpuPeak ?? 0, .percent),
        ]
        // Lossless outputs have no finite PSNR: the metric is left out rather than invented.
        if let psnr = result.quality?.psnrMin { metrics.append(.init("PSNRMin", psnr, .none)) }
        var properties: [(name: String, value: String)] = [
            ("taskId", result.taskId),
            ("mode", result.worker.mode.rawValue),
            ("workerVersion", result.worker.version),
        ]
        if let error = result.error { properties.append(("errorCode", error.code.rawValue)) }
        return EMFRecord(
            namespace: namespace,
            dimensions: [
                ("library", result.options.compressionLibrary.rawValue),
                ("codec", result.options.transferSyntax.rawValue), ("outcome", result.status.rawValue),
            ],
            metrics: metrics,
            properties: properties,
            timestamp: Int64((date.timeIntervalSince1970 * 1000).rounded())
        )
    }
}
