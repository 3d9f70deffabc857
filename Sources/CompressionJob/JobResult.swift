import Foundation
import Transcoder

/// The result JSON (docs/contracts.md, "The result JSON"): one object per task, rewritten as the task moves from
/// `queued` to `processing` to `completed` or `failed`. Numbers are numbers (bytes, seconds);
/// ``CompressionStats/display`` repeats the headline figures as text, as the original API did.
public struct JobResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case queued, processing, completed, failed
    }

    public var success: Bool
    public var taskId: String
    public var status: Status
    /// When this version of the document was written.
    public var timestamp: Date
    public var createdAt: Date?
    public var startedAt: Date?
    public var completedAt: Date?
    public var s3SourceUri: String
    /// Where the ZIP is (or will be) written; chosen when the job starts.
    public var s3CompressedPath: String?
    public var compressionStats: CompressionStats?
    public var quality: QualitySummary?
    public var options: JobOptions
    public var files: [FileOutcome]
    public var error: JobError?
    public var worker: WorkerInfo

    public init(
        taskId: String,
        status: Status,
        timestamp: Date,
        s3SourceUri: String,
        options: JobOptions,
        worker: WorkerInfo
    ) {
        self.success = status != .failed
        self.taskId = taskId
        self.status = status
        self.timestamp = timestamp
        self.s3SourceUri = s3SourceUri
        self.options = options
        self.files = []
        self.worker = worker
    }
}

/// Sizes, times and resource use of one job.
public struct CompressionStats: Codable, Sendable, Equatable {
    /// Bytes of all input files.
    public var originalSize: Int
    /// Bytes of all output files (the ZIP's entries, before the ZIP's own headers).
    public var compressedSize: Int
    /// `originalSize / compressedSize`.
    public var compressionRatio: Double
    /// Uncompressed pixel bytes ÷ codestream bytes, over the files that were compressed.
    public var pixelDataRatio: Double
    /// The job's wall time, seconds.
    public var processingTime: Double
    /// Wall-clock span of each phase, seconds; they overlap in the streaming pipeline.
    public var downloadTime: Double
    public var compressionTime: Double
    public var uploadTime: Double
    /// From the message's send time to the start of processing, seconds (0 for local runs).
    public var queueWaitTime: Double
    public var processedFiles: Int
    public var compressedFiles: Int
    public var copiedFiles: Int
    public var skippedFiles: Int
    public var failedFiles: Int
    /// This process's CPU peak over one 500 ms sample, percent of one core.
    public var cpuPeak: Double
    public var cpuTimeUser: Double
    public var cpuTimeSystem: Double
    /// This process's peak resident memory, bytes.
    public var memoryPeak: Int
    public var system: SystemStats
    public var display: [String: String]

    public init(
        originalSize: Int,
        compressedSize: Int,
        pixelDataRatio: Double,
        processingTime: Double,
        downloadTime: Double,
        compressionTime: Double,
        uploadTime: Double,
        queueWaitTime: Double,
        processedFiles: Int,
        compressedFiles: Int,
        copiedFiles: Int,
        skippedFiles: Int,
        failedFiles: Int,
        cpuPeak: Double,
        cpuTimeUser: Double,
        cpuTimeSystem: Double,
        memoryPeak: Int,
        system: SystemStats
    ) {
        self.originalSize = originalSize
        self.compressedSize = compressedSize
        self.compressionRatio = compressedSize > 0 ? Double(originalSize) / Double(compressedSize) : 0
        self.pixelDataRatio = pixelDataRatio
        self.processingTime = processingTime
        self.downloadTime = downloadTime
        self.compressionTime = compressionTime
        self.uploadTime = uploadTime
        self.queueWaitTime = queueWaitTime
        self.processedFiles = processedFiles
        self.compressedFiles = compressedFiles
        self.copiedFiles = copiedFiles
        self.skippedFiles = skippedFiles
        self.failedFiles = failedFiles
        self.cpuPeak = cpuPeak
        self.cpuTimeUser = cpuTimeUser
        self.cpuTimeSystem = cpuTimeSystem
        self.memoryPeak = memoryPeak
        self.system = system
        self.display = [
            "originalSize": DisplayFormat.bytes(originalSize),
            "compressedSize": DisplayFormat.bytes(compressedSize),
            "compressionRatio": DisplayFormat.ratio(compressionRatio),
            "pixelDataRatio": DisplayFormat.ratio(pixelDataRatio),
            "processingTime": DisplayFormat.seconds(processingTime),
            "downloadTime": DisplayFormat.seconds(downloadTime),
            "compressionTime": DisplayFormat.seconds(compressionTime),
            "uploadTime": DisplayFormat.seconds(uploadTime),
            "memoryPeak": DisplayFormat.bytes(memoryPeak),
            "cpuPeak": DisplayFormat.percent(cpuPeak),
        ]
    }
}

/// Whole-machine CPU (percent of all cores) and memory (bytes), before and during the job.
public struct SystemStats: Codable, Sendable, Equatable {
    public var cpuBaseline: Double
    public var cpuPeak: Double
    public var cpuIncrease: Double
    public var memoryBaseline: Int
    public var memoryPeak: Int
    public var memoryIncrease: Int

    public init(cpuBaseline: Double, cpuPeak: Double, memoryBaseline: Int, memoryPeak: Int) {
        self.cpuBaseline = cpuBaseline
        self.cpuPeak = cpuPeak
        self.cpuIncrease = cpuPeak - cpuBaseline
        self.memoryBaseline = memoryBaseline
        self.memoryPeak = memoryPeak
        self.memoryIncrease = memoryPeak - memoryBaseline
    }
}

/// Image quality of the decoded output against the input, over the checked files.
public struct QualitySummary: Codable, Sendable, Equatable {
    public var filesChecked: Int
    /// Lowest and mean PSNR in dB; `nil` when every checked file was bit-exact (infinite PSNR).
    public var psnrMin: Double?
    public var psnrMean: Double?
    public var rmseMax: Double
    public var maxAbsError: Int

    public init(filesChecked: Int, psnrMin: Double?, psnrMean: Double?, rmseMax: Double, maxAbsError: Int) {
        self.filesChecked = filesChecked
        self.psnrMin = psnrMin
        self.psnrMean = psnrMean
        self.rmseMax = rmseMax
        self.maxAbsError = maxAbsError
    }
}

/// What happened to one input file.
public struct FileOutcome: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case compressed, copied, skipped, failed
    }

    /// The source key (or path relative to the source folder).
    public var key: String
    public var status: Status
    public var inputBytes: Int
    public var outputBytes: Int
    /// `inputBytes / outputBytes`.
    public var ratio: Double
    /// Stored pixel bytes ÷ codestream bytes (what the compression rate targets); compressed files only.
    public var pixelDataRatio: Double?
    /// PSNR in dB when this file's quality was checked; absent when not checked or bit-exact.
    public var psnr: Double?
    /// Why the file was copied, skipped or failed.
    public var error: String?
    /// The transcoder's error code (`TranscoderError.shortDescription`, e.g. `unreadableDICOM`) for failed files.
    public var errorCode: String?
    /// Compressed files: encodes each frame took (rate search on HTJ2K, quality targets, the
    /// corrective passes of Part 1 rate control).
    public var encodesPerFrame: [Int]?
    /// Compressed files of a quality-target job: the target, whether every frame met it, and
    /// whether (and why) the file was stored lossless instead.
    public var qualityTarget: QualityTargetResult?

    public init(
        key: String,
        status: Status,
        inputBytes: Int,
        outputBytes: Int,
        pixelDataRatio: Double? = nil,
        psnr: Double? = nil,
        error: String? = nil,
        errorCode: String? = nil
    ) {
        self.key = key
        self.status = status
        self.inputBytes = inputBytes
        self.outputBytes = outputBytes
        self.ratio = outputBytes > 0 ? Double(inputBytes) / Double(outputBytes) : 0
        self.pixelDataRatio = pixelDataRatio
        self.psnr = psnr
        self.error = error
        self.errorCode = errorCode
    }
}

/// How the worker was started.
public enum RunMode: String, Codable, Sendable, CaseIterable {
    /// `dicom-j2k run`: one job, no queue.
    case local
    /// `dicom-j2k poll`: the SQS long-poller.
    case poll
    /// `dicom-j2k lambda`: the Lambda Runtime API loop.
    case lambda
}

/// Which worker produced the result.
public struct WorkerInfo: Codable, Sendable, Equatable {
    public var version: String
    public var openjpegVersion: String
    public var mode: RunMode
    public var host: String
    /// The delivery attempt (SQS ApproximateReceiveCount; 1 for local runs).
    public var attempt: Int

    public init(version: String, openjpegVersion: String, mode: RunMode, host: String, attempt: Int) {
        self.version = version
        self.openjpegVersion = openjpegVersion
        self.mode = mode
        self.host = host
        self.attempt = attempt
    }
}

extension JobResult {
    /// The encoder used for every result document: ISO 8601 dates, sorted keys, pretty-printed.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// Text forms of the headline figures, as the original API showed them: `196.9MB`, `70:1`, `180s`.
public enum DisplayFormat {
    /// Binary megabytes labelled `MB` (the original API divided by 1024²).
    public static func bytes(_ count: Int) -> String {
        let kib = Double(count) / 1024
        if kib < 1024 { return String(format: "%.1fKB", kib) }
        let mib = kib / 1024
        if mib < 1024 { return String(format: "%.1fMB", mib) }
        return String(format: "%.2fGB", mib / 1024)
    }

    /// `80:1` from ten up, `2.5:1` below.
    public static func ratio(_ ratio: Double) -> String {
        guard ratio.isFinite, ratio > 0 else { return "n/a" }
        return ratio >= 10 ? String(format: "%.0f:1", ratio) : String(format: "%.1f:1", ratio)
    }

    /// `180s` from ten seconds up, `2.4s` below.
    public static func seconds(_ seconds: Double) -> String {
        seconds >= 10 ? String(format: "%.0fs", seconds) : String(format: "%.1fs", seconds)
    }

    public static func percent(_ percent: Double) -> String { String(format: "%.0f%%", percent) }
}
