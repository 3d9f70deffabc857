import ArgumentParser
import CompressionJob
import Foundation
import JPEG2000
import Logging

/// `dicom-j2k run --source DIR --target OUT.zip`: one compression job on local folders, with the
/// same pipeline and result JSON as the queue worker.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Compress every DICOM file of a local folder into a ZIP of JPEG 2000 DICOM files.",
        discussion: """
            Files are read in sorted key order, transcoded on a bounded pool of threads and written \
            into the ZIP in the same order. Files that cannot be transcoded (not DICOM, already \
            compressed, no pixel data, unsupported layout) and files that fail are copied unchanged \
            and listed in the result with the reason. The result JSON (DESIGN.md §4) goes to stdout \
            and, with --result, to a file; the exit status is 1 when the job failed.
            """
    )

    @Option(help: "Folder whose files (at any depth) are the inputs.")
    var source: String

    @Option(
        help:
            "The ZIP to write; a folder (existing, or ending in /) gets a generated name like study-rate100-20250120-103000.zip."
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
    var library: TranscodeCommand.Library = .openjpeg

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
    }

    func run() async throws {
        var logger = Logger(label: "dicom-j2k")
        logger.logLevel = verbose ? .info : .warning
        let start = Date()
        let options = JobOptions(
            compressionRate: lossless ? 1 : rate,
            compressionLibrary: library == .gdcmconv ? .gdcmconv : .openjpeg,
            qualityCheck: qualityCheck
        )
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
                mode: "local",
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
