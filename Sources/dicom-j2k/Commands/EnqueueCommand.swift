import AWSClients
import ArgumentParser
import CompressionJob
import Foundation
import JPEG2000
import Transcoder

/// `dicom-j2k enqueue`: validates a job, writes its `queued` result, sends the message.
struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Validate a job, write its queued result JSON and send it to the job queue.",
        discussion: """
            The message is the job message of docs/contracts.md, validated by the worker's own \
            parser first (a bad option fails here, naming the field); the source is listed and \
            checked against ALLOWED_BUCKETS and the limits before anything is written or sent. Prints the task id, the planned \
            target and where the result JSON will be.
            """
    )

    @Option(help: "s3://bucket/prefix/ of the study (default: DEFAULT_SOURCE_URI).")
    var source: String?

    @Option(help: "s3://bucket/prefix/ for the ZIP (default: DEFAULT_TARGET_URI).")
    var target: String?

    @Option(help: "Target ratio (≥ 1; 1 = lossless).")
    var rate: Double?

    @Flag(help: "Lossless, the same as --rate 1.")
    var lossless = false

    @Option(help: "openjpeg, gdcmconv or dcmjs-codecs (= openjpeg).")
    var library: TranscoderLibrary?

    @Option(help: "none, sample or all.")
    var qualityCheck: JobOptions.QualityCheck?

    @Option(help: "The ZIP's file name instead of the generated one.")
    var outputFilename: String?

    @Flag(help: "Replace an existing ZIP instead of appending -1, -2, …")
    var overwriteExisting = false

    @OptionGroup var encoding: EncodingFlags

    @Option(help: "The task id (default: comp-<random>).")
    var taskId: String?

    @Option(name: .customLong("queue-url"), help: "The job queue (default: QUEUE_URL).")
    var queueURL: String?

    @OptionGroup var common: JobCommandOptions

    func run() async throws {
        let configuration = try common.workerConfiguration()
        guard let queue = queueURL ?? configuration.queueURL else {
            throw ValidationError("set --queue-url or QUEUE_URL")
        }
        var fields: [String: Any] = ["taskId": taskId ?? "comp-" + UUID().uuidString.lowercased()]
        if let source { fields["s3SourceUri"] = source }
        if let target { fields["s3TargetUri"] = target }
        if lossless { fields["compressionRate"] = 1 } else if let rate { fields["compressionRate"] = rate }
        if let library { fields["compressionLibrary"] = library.rawValue }
        if let qualityCheck { fields["qualityCheck"] = qualityCheck.rawValue }
        if let outputFilename { fields["outputFilename"] = outputFilename }
        if overwriteExisting { fields["overwriteExisting"] = true }
        fields.merge(encoding.messageFields) { $1 }
        let body = String(
            decoding: try JSONSerialization.data(withJSONObject: fields, options: .sortedKeys),
            as: UTF8.self
        )
        let request: JobRequest
        do {
            request = try JobEnqueuer.validate(body: body, configuration: configuration)
        } catch {
            throw ValidationError("\(error)")
        }
        let results = try common.resultsPrefix(configuration, fallbackTarget: request.target)
        let receipt = try await common.withClients { s3, sqs, logger in
            let enqueuer = JobEnqueuer(
                configuration: configuration,
                s3: s3,
                sqs: sqs,
                queueURL: queue,
                worker: WorkerInfo(
                    version: DicomJ2KVersion.string,
                    openjpegVersion: JPEG2000Library.openJPEGVersion,
                    mode: .local,
                    host: ProcessInfo.processInfo.hostName,
                    attempt: 0
                ),
                resultsPrefix: results
            )
            do {
                return try await enqueuer.submit(request, logger: logger)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        struct Output: Encodable {
            var taskId, status, s3SourceUri, plannedTarget, result, messageId: String
            var sourceInfo: SourceSummary
        }
        try printJSON(
            Output(
                taskId: request.taskId,
                status: "queued",
                s3SourceUri: request.source.description,
                plannedTarget: receipt.plannedTarget,
                result: receipt.result.description,
                messageId: receipt.messageId,
                sourceInfo: receipt.source
            )
        )
    }
}
