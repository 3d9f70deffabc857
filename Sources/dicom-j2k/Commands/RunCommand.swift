import AWSClients
import ArgumentParser
import CompressionJob
import Foundation
import JPEG2000
import Logging
import Transcoder

/// `dicom-j2k run --source DIR|s3://… --target OUT.zip|s3://…`: one compression job without a
/// queue, with the same pipeline and result JSON as the queue worker (docs/contracts.md).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Compress every DICOM file of a folder or S3 prefix into a ZIP of JPEG 2000 DICOM files.",
        discussion: """
            Files are read in sorted key order, transcoded on a bounded pool of threads and written \
            into the ZIP in the same order. Files that cannot be transcoded (not DICOM, already \
            compressed, no pixel data, unsupported layout) and files that fail are copied unchanged \
            and listed in the result with the reason. The result JSON (docs/contracts.md) goes to stdout \
            and, with --result, to a file; the exit status is 1 when the job failed. With s3:// source \
            and target the job runs like a queue message (naming, overwrite rules, result JSON in S3, \
            EMF line), configured by the environment (AWS_*, RESULTS_URI, ALLOWED_BUCKETS, limits).
            """
    )

    @Option(help: "Folder whose files (at any depth) are the inputs, or s3://bucket/prefix/.")
    var source: String

    @Option(
        help:
            "The ZIP to write; a folder (existing, or ending in /) gets a generated name like study-rate100-20250120-103000.zip; or s3://bucket/prefix/ (with an s3:// source)."
    )
    var target: String

    @Option(help: "Target ratio: stored pixel bytes ÷ codestream bytes (≥ 1; 1 = lossless).")
    var rate: Double = 100

    @Flag(help: "Lossless (reversible 5/3), the same as --rate 1.")
    var lossless = false

    @Option(help: "Worker threads that transcode (default: the number of cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Decode outputs again to measure PSNR and maximum error: none, sample (first, middle, last) or all.")
    var qualityCheck: JobOptions.QualityCheck = .sample

    @Option(help: "openjpeg (in process) or gdcmconv (one process per file, for comparison); dcmjs-codecs = openjpeg.")
    var library: TranscoderLibrary = .openjpeg

    @Option(help: "An S3 target's file name instead of the generated one (s3:// only).")
    var outputFilename: String?

    @Flag(help: "Replace an existing S3 target instead of appending -1, -2, … (s3:// only).")
    var overwriteExisting = false

    @OptionGroup var encoding: EncodingFlags

    @Option(help: "Also write the result JSON to this file.")
    var result: String?

    @Option(help: "The task id recorded in the result (default: local-<timestamp>).")
    var taskId: String?

    @Flag(name: .shortAndLong, help: "Log progress and each failed file to stderr.")
    var verbose = false

    func validate() throws {
        guard rate.isFinite, rate >= 1, rate <= 10_000 else { throw ValidationError("--rate must be 1…10000") }
        guard !lossless || rate == 100 || rate == 1 else {
            throw ValidationError("--rate and --lossless exclude each other")
        }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be 1…256") }
        guard source.hasPrefix("s3://") == target.hasPrefix("s3://") else {
            throw ValidationError("--source and --target must both be local or both be s3://")
        }
    }

    func run() async throws {
        var logger = Logger(label: "dicom-j2k")
        logger.logLevel = verbose ? .info : .warning
        let start = Date()
        var options = JobOptions(
            compressionRate: lossless ? 1 : rate,
            compressionLibrary: library,
            qualityCheck: qualityCheck
        )
        encoding.apply(to: &options)
        if let conflict = options.conflictingOptions() { throw ValidationError(conflict.message) }
        if source.hasPrefix("s3://") {
            options.outputFilename = outputFilename
            options.overwriteExisting = overwriteExisting
            try await runS3(options: options, start: start, logger: logger)
            return
        }
        let sourceURL = URL(fileURLWithPath: source)
        var targetURL = URL(fileURLWithPath: target)
        var isDirectory: ObjCBool = false
        if target.hasSuffix("/")
            || (FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) && isDirectory.boolValue)
        {
            try FileManager.default.createDirectory(at: targetURL, withIntermediateDirectories: true)
            targetURL.appendPathComponent(
                OutputNaming.zipFileName(sourcePrefix: sourceURL.path, rate: options.compressionRate, start: start)
            )
        }
        let processor: TranscodingProcessor
        do {
            processor = try TranscodingProcessor(options: options, logger: logger)
        } catch {
            throw ValidationError("\(error)")
        }
        let job = LocalJob(
            taskId: taskId ?? "local-" + OutputNaming.timestamp(start),
            sourceFolder: sourceURL,
            targetZip: targetURL,
            options: options,
            threads: threads,
            worker: WorkerInfo(
                version: DicomJ2KVersion.string,
                openjpegVersion: JPEG2000Library.openJPEGVersion,
                mode: .local,
                host: ProcessInfo.processInfo.hostName,
                attempt: 1
            )
        )
        // Ctrl-C or SIGTERM cancels the job: the files being encoded finish, the partial ZIP is
        // removed and the result says `cancelled`.
        let jobTask = Task { await job.run(processor: processor, logger: logger) }
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { jobTask.cancel() }
            source.resume()
            return source
        }
        let outcome = await jobTask.value
        for source in signals { source.cancel() }
        try report(outcome)
    }

    /// The S3 job: the queue handler's code path on a request built from the flags.
    func runS3(options: JobOptions, start: Date, logger: Logger) async throws {
        guard let sourceURI = S3URI(source), let targetURI = S3URI(target) else {
            throw ValidationError("--source and --target must be s3://bucket/prefix/")
        }
        var body: [String: Any] = [
            "taskId": taskId ?? "local-" + OutputNaming.timestamp(start),
            "s3SourceUri": sourceURI.key.isEmpty || sourceURI.key.hasSuffix("/") ? source : source + "/",
            "s3TargetUri": targetURI.key.isEmpty || targetURI.key.hasSuffix("/") ? target : target + "/",
            "compressionRate": options.compressionRate,
            "compressionLibrary": options.compressionLibrary.rawValue,
            "qualityCheck": options.qualityCheck.rawValue,
            "overwriteExisting": options.overwriteExisting,
        ]
        if let name = options.outputFilename { body["outputFilename"] = name }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        var environment = ProcessInfo.processInfo.environment
        environment["WORKER_THREADS"] = String(threads)
        // stdout carries the result JSON here; the metrics line goes to stderr.
        let metricsToStandardError: @Sendable (String) -> Void = { printToStandardError($0) }
        let outcome = try await CompressionJobHandler.withHandler(
            environment: environment,
            mode: .local,
            version: DicomJ2KVersion.string,
            logger: logger,
            metricsOutput: metricsToStandardError
        ) { handler, _ in
            let message = QueueMessage(messageId: "run-\(UUID().uuidString.lowercased())", body: json)
            let task = Task { await handler.process(message, logger: logger) }
            let signals = [SIGINT, SIGTERM].map { number in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { task.cancel() }
                source.resume()
                return source
            }
            defer { for source in signals { source.cancel() } }
            return await task.value
        }
        guard let result = outcome.result else {
            printToStandardError("job not run: \(outcome.disposition)")
            throw ExitCode(1)
        }
        try report(result)
    }

    /// Prints the result JSON (and writes it with --result) and a summary; exit 1 unless completed.
    func report(_ outcome: JobResult) throws {
        let json = try JobResult.makeEncoder().encode(outcome)
        if let result {
            try json.write(to: URL(fileURLWithPath: result))
        }
        FileHandle.standardOutput.write(json + Data("\n".utf8))
        printToStandardError(Self.summary(outcome))
        if outcome.status != .completed { throw ExitCode(1) }
    }

    /// One line for a person watching the terminal.
    static func summary(_ result: JobResult) -> String {
        guard let stats = result.compressionStats, result.status == .completed else {
            return "job \(result.taskId) failed: \(result.error?.message ?? "unknown error")"
        }
        let d = stats.display
        var line =
            "\(result.status.rawValue): \(stats.processedFiles) files (\(stats.compressedFiles) compressed, "
            + "\(stats.copiedFiles) copied, \(stats.failedFiles) failed), \(d["originalSize"] ?? "") -> "
            + "\(d["compressedSize"] ?? "") (\(d["compressionRatio"] ?? ""); pixel data \(d["pixelDataRatio"] ?? "")) "
            + "in \(d["processingTime"] ?? "")"
        if let quality = result.quality {
            line += quality.psnrMin.map { String(format: ", PSNR min %.1f dB", $0) } ?? ", lossless (exact)"
            line += ", max error \(quality.maxAbsError)"
        }
        return line + "; ZIP: \(result.s3CompressedPath ?? "")"
    }
}

extension JobOptions.QualityCheck: ExpressibleByArgument {}

extension TranscoderLibrary: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { acceptedNames }
}
