import AWSClients
import Foundation
import Logging
import Transcoder

extension JobRequest {
    /// The request as a job message body: every field set, defaults applied, the library alias
    /// resolved. ``JobRequest/parse(body:messageId:configuration:)`` reads it back to the same request.
    package var messageBody: String {
        var fields: [String: Any] = [
            "taskId": taskId,
            "s3SourceUri": source.description,
            "s3TargetUri": target.description,
            "compressionLibrary": options.compressionLibrary.rawValue,
            "anonymize": options.anonymize,
            "overwriteExisting": options.overwriteExisting,
            "qualityCheck": options.qualityCheck.rawValue,
            "transferSyntax": options.transferSyntax.rawValue,
            "encoderSpeed": options.encoderSpeed.rawValue,
        ]
        // The quality targets exclude the rate: only one of the three is written.
        if let psnr = options.targetPSNR {
            fields["targetPSNR"] = psnr
        } else if let maxError = options.maxError {
            fields["maxError"] = maxError
        } else {
            fields["compressionRate"] = options.compressionRate
        }
        if let name = options.outputFilename { fields["outputFilename"] = name }
        // Every value is a string, number or bool: serialisation cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// What the source prefix holds, from its listing: the job's inputs (folder placeholders left out).
package struct SourceSummary: Sendable, Equatable, Codable {
    package var totalFiles: Int
    /// Bytes.
    package var totalSize: Int

    package init(totalFiles: Int, totalSize: Int) {
        self.totalFiles = totalFiles
        self.totalSize = totalSize
    }
}

/// Puts validated jobs on the queue: what `enqueue` and `POST /compress-dicom` share.
///
/// In order, and nothing is written or sent before every check passed: the allow-list and the
/// options that cannot go together; the source listing against the limits (the same
/// ``JobLimits/check(_:logger:)`` the job runs); no live task with the same id. Then the `queued`
/// result is written and the message sent.
package struct JobEnqueuer: Sendable {
    package var configuration: WorkerConfiguration
    package var s3: S3Client
    package var sqs: SQSClient
    package var queueURL: String
    /// Recorded in the `queued` document.
    package var worker: WorkerInfo
    /// Where the result goes; `nil`: the worker's choice, ``WorkerConfiguration/resultsLocation(forTarget:)``.
    package var resultsPrefix: S3URI?

    package init(
        configuration: WorkerConfiguration,
        s3: S3Client,
        sqs: SQSClient,
        queueURL: String,
        worker: WorkerInfo,
        resultsPrefix: S3URI? = nil
    ) {
        self.configuration = configuration
        self.s3 = s3
        self.sqs = sqs
        self.queueURL = queueURL
        self.worker = worker
        self.resultsPrefix = resultsPrefix
    }

    /// What was enqueued.
    package struct Receipt: Sendable, Equatable {
        package var request: JobRequest
        package var messageId: String
        package var createdAt: Date
        /// `s3://…/{taskId}.json`.
        package var result: S3URI
        /// The ZIP's planned location (the generated name has `<start>` for the start time).
        package var plannedTarget: String
        package var source: SourceSummary
    }

    /// The message fields of a job as a validated request: the worker's own parser, then the
    /// options that cannot go together.
    /// - Throws: ``JobError/Code/invalidMessage`` naming the field.
    package static func validate(body: String, configuration: WorkerConfiguration) throws(JobError) -> JobRequest {
        let request = try JobRequest.parse(
            body: body,
            messageId: UUID().uuidString.lowercased(),
            configuration: configuration
        )
        if let conflict = request.options.conflictingOptions() { throw conflict }
        return request
    }

    /// Checks, writes the `queued` result and sends the message.
    /// - Throws: ``JobError``: `refused` (allow-list, limits, an empty source, a live task with this
    ///   id; `field` names the field), `sourceUnavailable`, `resultsUnavailable`, or `notAvailable`
    ///   when the queue refused the message; in every case nothing was sent.
    package func submit(_ request: JobRequest, now: Date = Date(), logger: Logger) async throws(JobError) -> Receipt {
        if let conflict = request.options.conflictingOptions() { throw conflict }
        for (bucket, field) in [(request.source.bucket, "s3SourceUri"), (request.target.bucket, "s3TargetUri")]
        where !configuration.allows(bucket: bucket) {
            throw JobError(.refused, "bucket \(bucket) is not in ALLOWED_BUCKETS", field: field)
        }
        guard let results = resultsPrefix ?? configuration.resultsLocation(forTarget: request.target) else {
            throw JobError(.resultsUnavailable, "no results location")
        }
        let source = try await listSource(request.source, logger: logger)
        let store = S3ResultStore(s3: s3, prefix: results, logger: logger)
        // A failed task may be submitted again (the worker reuses its target); a live or completed one not.
        let earlier = try await store.load(taskId: request.taskId)
        if let earlier, earlier.status != .failed {
            throw JobError(.refused, "task \(request.taskId) exists and is \(earlier.status.rawValue)", field: "taskId")
        }
        try await store.save(.queued(request, createdAt: now, worker: worker))
        let messageId: String
        do {
            messageId = try await sqs.sendMessage(queueURL: queueURL, body: request.messageBody, logger: logger)
        } catch {
            // No message, so no queued document either: put back what was there before.
            if let earlier {
                try? await store.save(earlier)
            } else {
                try? await s3.deleteObject(
                    bucket: results.bucket,
                    key: results.key + request.taskId + ".json",
                    logger: logger
                )
            }
            throw JobError(.notAvailable, "the job queue did not take the message: \(error)")
        }
        return Receipt(
            request: request,
            messageId: messageId,
            createdAt: now,
            result: S3URI(bucket: results.bucket, key: results.key + request.taskId + ".json"),
            plannedTarget: Self.plannedTarget(request),
            source: source
        )
    }

    /// Lists the source and checks the listing against the limits, as the job will.
    /// - Throws: ``JobError/Code/refused`` for a limit, a missing or forbidden bucket or an empty
    ///   prefix (field `s3SourceUri`); ``JobError/Code/sourceUnavailable`` when S3 cannot be reached.
    package func listSource(_ uri: S3URI, logger: Logger) async throws(JobError) -> SourceSummary {
        let objects: [SourceObject]
        do {
            objects = try await S3PrefixSource(
                s3: s3,
                uri: uri,
                maxFileBytes: configuration.maxFileBytes,
                logger: logger
            ).listUnderPrefix()
        } catch let error as S3Error where error.code == .notFound {
            throw JobError(.refused, "bucket \(uri.bucket) does not exist", field: "s3SourceUri")
        } catch let error as S3Error where error.code == .accessDenied {
            throw JobError(.refused, "the source cannot be listed: access denied", field: "s3SourceUri")
        } catch {
            throw JobError(.sourceUnavailable, "cannot list the source: \(error)")
        }
        do {
            try configuration.limits.check(objects, logger: logger)
        } catch {
            // The job's own check; the field tells an API client which input is too large.
            throw JobError(error.code, error.message, field: "s3SourceUri")
        }
        let inputs = objects.filter { !$0.key.hasSuffix("/") }
        guard !inputs.isEmpty else {
            throw JobError(.refused, "no objects under the prefix", field: "s3SourceUri")
        }
        return SourceSummary(totalFiles: inputs.count, totalSize: inputs.totalSize)
    }

    /// Where the ZIP will go: the given file name, or the generated one with `<start>` for the time.
    package static func plannedTarget(_ request: JobRequest) -> String {
        let name =
            request.options.outputFilename.map {
                OutputNaming.zipFileName(sourcePrefix: "", rate: 0, start: Date(), outputFilename: $0)
            }
            ?? "\(OutputNaming.folderLabel(sourcePrefix: request.source.key))-rate\(OutputNaming.formatRate(request.options.compressionRate))-<start>.zip"
        return request.target.description + name
    }
}
