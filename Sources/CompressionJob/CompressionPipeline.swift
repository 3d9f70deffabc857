import Foundation
import Logging
import NIOPosix
import Transcoder
import ZIPStream

/// The streaming heart of a job: inputs are read and transcoded concurrently on a bounded pool of
/// threads, and written into the ZIP one after another in key order, so memory stays bounded by
/// the window of files in flight whatever the size of the study.
package struct CompressionPipeline<Processor: FileProcessor> {
    package struct Configuration: Sendable {
        /// Worker threads that transcode (the job's CPU parallelism).
        package var threads: Int
        /// Files read or transcoded but not yet in the ZIP; bounds memory. Default: twice the threads,
        /// so reading the next files overlaps encoding the current ones.
        package var window: Int
        package var qualityCheck: JobOptions.QualityCheck
        /// The modification time stored in every ZIP entry (the job's start).
        package var entryTimestamp: Date
        /// Name entries `000001.dcm`, … in key order instead of after their keys (anonymizing jobs).
        package var neutralEntryNames: Bool

        package init(
            threads: Int,
            window: Int? = nil,
            qualityCheck: JobOptions.QualityCheck,
            entryTimestamp: Date,
            neutralEntryNames: Bool = false
        ) {
            self.threads = max(1, threads)
            self.window = max(1, window ?? 2 * max(1, threads))
            self.qualityCheck = qualityCheck
            self.entryTimestamp = entryTimestamp
            self.neutralEntryNames = neutralEntryNames
        }
    }

    package let source: any JobSource
    package let processor: Processor
    package let configuration: Configuration
    package let logger: Logger

    package init(source: any JobSource, processor: Processor, configuration: Configuration, logger: Logger) {
        self.source = source
        self.processor = processor
        self.configuration = configuration
        self.logger = logger
    }

    /// Processes `objects` (in this order) into `zip`, then finishes the archive.
    /// - Throws: when an input cannot be read or the ZIP cannot be written: the job fails rather
    ///   than produce an archive that lacks a file. A file that fails to transcode does not throw; it
    ///   is copied and reported. `CancellationError` when the task is cancelled.
    package func run<Sink: ZIPStreamSink>(
        objects: [SourceObject],
        into zip: ZIPStreamWriter<Sink>,
        clock: PhaseClock
    ) async throws -> PipelineReport {
        let pool = NIOThreadPool(numberOfThreads: configuration.threads)
        pool.start()
        defer { pool.shutdownGracefully { _ in } }

        // The sample is taken over the files that are read (not folder placeholders or problems).
        let readable = objects.indices.filter { objects[$0].problem == nil && !objects[$0].key.hasSuffix("/") }
        let checked = Set(
            Self.qualityCheckIndices(count: readable.count, mode: configuration.qualityCheck).map { readable[$0] }
        )
        let timestamp = ZIPTimestamp(secondsSince1970: Int64(configuration.entryTimestamp.timeIntervalSince1970))
        var namer = ZIPEntryNamer()
        var report = PipelineReport()
        let source = source
        let processor = processor

        // The transcoder runs on pool threads, outside this task: tell it when the job is cancelled
        // so a long file stops between frames instead of running to its end.
        try await withTaskCancellationHandler {
            try await orderedConcurrentMap(Array(objects.enumerated()), window: configuration.window) { index, object in
                if let problem = object.problem { return ProcessedItem(object: object, content: .problem(problem)) }
                // S3 "folder" placeholders are not files: nothing to read or archive.
                if object.key.hasSuffix("/") { return ProcessedItem(object: object, content: .placeholder) }
                // Neither reading nor the thread pool watches for cancellation, so check between steps:
                // a cancelled job stops after the files already being encoded.
                try Task.checkCancellation()
                let input = try await clock.measure(.download) { try await source.read(object) }
                try Task.checkCancellation()
                let result = try await clock.measure(.compression) {
                    try await pool.runIfActive { processor.process(input, checkQuality: checked.contains(index)) }
                }
                return ProcessedItem(object: object, content: .processed(input, result))
            } consume: { index, item in
                let input: [UInt8]
                let result: FileResult
                switch item.content {
                case .placeholder:
                    report.add(
                        FileOutcome(
                            key: item.object.key,
                            status: .skipped,
                            inputBytes: 0,
                            outputBytes: 0,
                            error: "folder placeholder"
                        )
                    )
                    return
                case .problem(let problem):
                    logger.warning("source entry cannot be read", metadata: ["error.code": "\(problem.code)"])
                    logger.debug("unreadable source entry", metadata: ["key": "\(item.object.key)"])
                    report.add(
                        FileOutcome(
                            key: item.object.key,
                            status: .failed,
                            inputBytes: 0,
                            outputBytes: 0,
                            error: problem.message,
                            errorCode: problem.code
                        )
                    )
                    return
                case .processed(let bytes, let processed):
                    (input, result) = (bytes, processed)
                }
                if case .failed(let error, _) = result {
                    // The key may carry a patient's name: only at debug level.
                    logger.warning(
                        "file failed; copied unchanged",
                        metadata: ["error.code": "\(error.shortDescription)"]
                    )
                    logger.debug("failed file", metadata: ["key": "\(item.object.key)", "error": "\(error)"])
                }
                if case .compressed(let file) = result { report.addPixels(file) }
                let (data, outcome) = Self.archiveEntry(item.object.key, input: input, result: result)
                if let data {
                    // Keys often carry patient names: an anonymized ZIP names its entries by position.
                    let entryName =
                        configuration.neutralEntryNames
                        ? Self.neutralEntryName(index) : namer.entryName(for: item.object.key)
                    try await clock.measure(.upload) {
                        try await zip.addEntry(named: entryName, data: data, modified: timestamp)
                    }
                }
                report.add(outcome)
            }
        } onCancel: {
            processor.cancel()
        }
        report.archive = try await clock.measure(.upload) { try await zip.finish() }
        return report
    }

    /// What goes into the ZIP for one input (the output, the input unchanged or its de-identified
    /// copy; nothing for a withheld file) and how it is reported.
    static func archiveEntry(_ key: String, input: [UInt8], result: FileResult) -> ([UInt8]?, FileOutcome) {
        switch result {
        case .compressed(let file):
            var outcome = FileOutcome(
                key: key,
                status: .compressed,
                inputBytes: input.count,
                outputBytes: file.bytes.count,
                pixelDataRatio: file.codestreamBytes > 0 ? Double(file.pixelBytes) / Double(file.codestreamBytes) : nil,
                psnr: file.quality.flatMap { $0.psnr.isFinite ? $0.psnr : nil }
            )
            outcome.encodesPerFrame = file.encodesPerFrame.isEmpty ? nil : file.encodesPerFrame
            outcome.qualityTarget = file.qualityTarget
            return (file.bytes, outcome)
        case .copied(let reason, let shipped):
            let data = shipped ?? input
            return (
                data,
                FileOutcome(key: key, status: .copied, inputBytes: input.count, outputBytes: data.count, error: reason)
            )
        case .failed(let error, let shipped):
            let data = shipped ?? input
            return (
                data,
                FileOutcome(
                    key: key,
                    status: .failed,
                    inputBytes: input.count,
                    outputBytes: data.count,
                    error: error.description,
                    errorCode: error.shortDescription
                )
            )
        case .withheld(let error):
            return (
                nil,
                FileOutcome(
                    key: key,
                    status: .failed,
                    inputBytes: input.count,
                    outputBytes: 0,
                    error: "not in the ZIP: it cannot be de-identified (\(error.description))",
                    errorCode: error.shortDescription
                )
            )
        }
    }

    /// The entry name of the `index`th input (0-based) in an anonymized ZIP.
    static func neutralEntryName(_ index: Int) -> String {
        let digits = String(index + 1)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".dcm"
    }

    /// Which files the quality check decodes again: none, all, or the first, middle and last.
    package static func qualityCheckIndices(count: Int, mode: JobOptions.QualityCheck) -> Set<Int> {
        guard count > 0 else { return [] }
        switch mode {
        case .none: return []
        case .all: return Set(0..<count)
        case .sample: return [0, count / 2, count - 1]
        }
    }
}

private struct ProcessedItem: Sendable {
    enum Content: Sendable {
        /// An S3 folder placeholder: reported as skipped.
        case placeholder
        /// A source entry that cannot be read: reported as failed, nothing archived.
        case problem(SourceProblem)
        /// The input and what became of it.
        case processed([UInt8], FileResult)
    }
    var object: SourceObject
    var content: Content
}

/// What the pipeline did, file by file and in total.
package struct PipelineReport: Sendable {
    package var files: [FileOutcome] = []
    package var originalSize = 0
    package var compressedSize = 0
    package var pixelBytes = 0
    package var codestreamBytes = 0
    package var qualities: [TranscodeQuality] = []
    package var archive: ZIPArchiveSummary?

    mutating func add(_ outcome: FileOutcome) {
        files.append(outcome)
        originalSize += outcome.inputBytes
        compressedSize += outcome.outputBytes
    }

    mutating func addPixels(_ file: TranscodedFile) {
        pixelBytes += file.pixelBytes
        codestreamBytes += file.codestreamBytes
        if let quality = file.quality { qualities.append(quality) }
    }

    package func count(_ status: FileOutcome.Status) -> Int { files.reduce(0) { $0 + ($1.status == status ? 1 : 0) } }

    /// Uncompressed pixel bytes ÷ codestream bytes over the compressed files; 0 when none was.
    package var pixelDataRatio: Double { codestreamBytes > 0 ? Double(pixelBytes) / Double(codestreamBytes) : 0 }

    /// The quality block of the result; `nil` when nothing was checked.
    package var qualitySummary: QualitySummary? {
        guard !qualities.isEmpty else { return nil }
        let finite = qualities.map(\.psnr).filter(\.isFinite)
        return QualitySummary(
            filesChecked: qualities.count,
            psnrMin: finite.min(),
            psnrMean: finite.isEmpty ? nil : finite.reduce(0, +) / Double(finite.count),
            rmseMax: qualities.map(\.rmse).max() ?? 0,
            maxAbsError: qualities.map(\.maxAbsError).max() ?? 0
        )
    }
}
