import AWSClients
import EMF
import Foundation
import JPEG2000
import Logging

/// The queue worker's job: one ``QueueMessage`` in, a ZIP, a result JSON and one EMF line out.
///
/// message → validate → idempotency (the result JSON of an earlier attempt) → the S3 job → the
/// final result → the EMF line → a ``MessageDisposition``:
/// - malformed or refused (allow-list, limits, an option this build cannot honour): the failed
///   result is written and the message is ``MessageDisposition/rejected(reason:)``;
/// - S3 unavailable, or the task cancelled (the upload is aborted first): ``MessageDisposition/retry(reason:)``;
/// - completed now, or completed by an earlier delivery (not redone): ``MessageDisposition/completed``.
///
/// The poller and the Lambda runtime only wire messages to ``handle(_:logger:)``; build one with
/// ``withHandler(environment:mode:version:logger:_:)``.
package struct CompressionJobHandler: QueueMessageHandler {
    package let configuration: WorkerConfiguration
    package let mode: RunMode
    package let s3: S3Client
    package let version: String
    package let host: String
    /// Receives the EMF line of each job (default: stdout, one line each).
    package let metricsOutput: @Sendable (String) -> Void

    package init(
        configuration: WorkerConfiguration,
        mode: RunMode,
        s3: S3Client,
        version: String,
        host: String = ProcessInfo.processInfo.hostName,
        metricsOutput: @escaping @Sendable (String) -> Void = CompressionJobHandler.printLine
    ) {
        self.configuration = configuration
        self.mode = mode
        self.s3 = s3
        self.version = version
        self.host = host
        self.metricsOutput = metricsOutput
    }

    /// Writes `line` and a newline to stdout in one write, so concurrent lines never interleave.
    package static let printLine: @Sendable (String) -> Void = { line in
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Reads the worker and AWS configuration from `environment`, opens one HTTP client shared by
    /// S3 and SQS (and one credential provider), runs `body`, and shuts the client down afterwards.
    ///
    /// - Parameters:
    ///   - environment: usually `ProcessInfo.processInfo.environment`.
    ///   - mode: `.poll` or `.lambda` (recorded in every result).
    ///   - version: the worker's version, recorded in every result.
    ///   - metricsOutput: where the EMF lines go (default: stdout).
    ///   - body: gets the handler and an ``SQSClient`` on the same HTTP client.
    /// - Throws: ``WorkerConfigurationError`` or ``AWSClientError`` for a bad environment, or what `body` threw.
    package static func withHandler<T>(
        environment: [String: String],
        mode: RunMode,
        version: String,
        logger: Logger,
        metricsOutput: @escaping @Sendable (String) -> Void = CompressionJobHandler.printLine,
        _ body: (CompressionJobHandler, SQSClient) async throws -> T
    ) async throws -> T {
        let configuration = try WorkerConfiguration(environment: environment)
        let aws = try AWSConfiguration(environment: environment)
        return try await withAWSHTTPClient(backgroundActivityLogger: logger) { http in
            let credentials = aws.makeCredentialProvider(httpClient: http)
            let s3 = S3Client(configuration: aws, httpClient: http, credentialProvider: credentials)
            let sqs = SQSClient(configuration: aws, httpClient: http, credentialProvider: credentials)
            let handler = CompressionJobHandler(
                configuration: configuration,
                mode: mode,
                s3: s3,
                version: version,
                metricsOutput: metricsOutput
            )
            return try await body(handler, sqs)
        }
    }

    package func handle(_ message: QueueMessage, logger: Logger) async -> MessageDisposition {
        await process(message, logger: logger).disposition
    }

    /// What one message became: the disposition and the result written (when one was).
    package struct Outcome: Sendable {
        package var disposition: MessageDisposition
        package var result: JobResult?
    }

    /// ``handle(_:logger:)`` with the result, for `run` and tests.
    package func process(_ message: QueueMessage, logger: Logger) async -> Outcome {
        var logger = logger
        let received = Date()
        let request: JobRequest
        do {
            request = try JobRequest.parse(
                body: message.body,
                messageId: message.messageId,
                configuration: configuration
            )
        } catch {
            let taskId = JobRequest.bestEffortTaskId(body: message.body, messageId: message.messageId)
            logger[metadataKey: "taskId"] = "\(taskId)"
            logger.warning(
                "job message rejected",
                metadata: ["error.code": "\(error.code)", "field": "\(error.field ?? "")"]
            )
            let context = JobContext(
                taskId: taskId,
                options: JobOptions(),
                sourceURI: "",
                createdAt: received,
                worker: worker(attempt: message.receiveCount)
            )
            let result = JobResult.failed(context, error)
            if let location = configuration.resultsLocation(forTarget: configuration.defaultTargetURI) {
                await saveUnlessCompleted(result, to: S3ResultStore(s3: s3, prefix: location, logger: logger), logger)
            }
            emitMetrics(result)
            return Outcome(disposition: .rejected(reason: error.description), result: result)
        }
        logger[metadataKey: "taskId"] = "\(request.taskId)"
        return await run(request, message: message, received: received, logger: logger)
    }

    /// Runs a validated request (the message's, or `run --source s3://…`'s).
    package func run(
        _ request: JobRequest,
        message: QueueMessage,
        received: Date = Date(),
        logger: Logger
    ) async
        -> Outcome
    {
        guard let resultsPrefix = configuration.resultsLocation(forTarget: request.target) else {
            return Outcome(disposition: .rejected(reason: "no results location"), result: nil)
        }
        let store = S3ResultStore(s3: s3, prefix: resultsPrefix, logger: logger)
        var context = JobContext(
            taskId: request.taskId,
            options: request.options,
            sourceURI: request.source.description,
            createdAt: received,
            worker: worker(attempt: message.receiveCount)
        )

        // Refusals that need no listing: the allow-list and options this build cannot honour.
        if let bucket = [request.source.bucket, request.target.bucket].first(where: {
            !configuration.allows(bucket: $0)
        }) {
            let field = bucket == request.source.bucket ? "s3SourceUri" : "s3TargetUri"
            return await reject(
                context,
                JobError(.refused, "bucket \(bucket) is not in ALLOWED_BUCKETS", field: field),
                store,
                logger
            )
        }
        if let unavailable = request.options.conflictingOptions() {
            return await reject(context, unavailable, store, logger)
        }
        let processor: TranscodingProcessor
        do {
            processor = try TranscodingProcessor(
                options: request.options,
                limits: .init(
                    maxFrames: configuration.maxFramesPerFile,
                    maxInflatedBytes: configuration.maxFileBytes
                ),
                logger: logger
            )
        } catch {
            return await reject(context, error, store, logger)
        }

        // Idempotency: the earlier attempt's document fixes the target and the start time.
        let earlier: JobResult?
        do {
            earlier = try await store.load(taskId: request.taskId)
        } catch {
            logger.warning("results unavailable", metadata: ["error": "\(error.message)"])
            return Outcome(disposition: .retry(reason: error.description), result: nil)
        }
        if let earlier, earlier.status == .completed {
            logger.info("task already completed; not redone")
            return Outcome(disposition: .completed, result: earlier)
        }
        if let earlier {
            context.createdAt = earlier.createdAt ?? context.createdAt
            if earlier.status != .queued, let target = earlier.s3CompressedPath, let started = earlier.startedAt {
                context.targetURI = target
                context.startedAt = started
            }
        }
        let started = context.startedAt ?? Date()
        context.startedAt = started
        if let sentAt = message.sentAt { context.queueWaitTime = max(0, Date().timeIntervalSince(sentAt)) }

        let target: (uri: S3URI, ifNoneMatch: Bool)
        do {
            target = try await chooseTarget(request, context: context, start: started, logger: logger)
        } catch {
            return await finish(JobResult.failed(context, error), store, logger)
        }
        context.targetURI = target.uri.description
        do {
            try await store.save(JobResult(context: context, status: .processing, timestamp: Date()))
        } catch {
            logger.warning("results unavailable", metadata: ["error": "\(error.message)"])
            return Outcome(disposition: .retry(reason: error.description), result: nil)
        }

        let runner = JobRunner(
            context: context,
            threads: configuration.workerThreads,
            limits: configuration.limits,
            processor: processor
        )
        let result = await runner.run(
            source: S3PrefixSource(
                s3: s3,
                uri: request.source,
                maxFileBytes: configuration.maxFileBytes,
                logger: logger
            ),
            destination: S3ZIPDestination(
                s3: s3,
                uri: target.uri,
                partSize: configuration.uploadPartBytes,
                ifNoneMatch: target.ifNoneMatch,
                taskId: request.taskId,
                logger: logger
            ),
            logger: logger
        )
        return await finish(result, store, logger)
    }

    /// The output key: the one an earlier attempt fixed, or a new name by the naming rules. With
    /// `overwriteExisting=false` a taken name gets `-1`, `-2`, … and the write is conditional
    /// (`If-None-Match: *`); an object this task wrote before (its `task-id` metadata) is replaced.
    func chooseTarget(
        _ request: JobRequest,
        context: JobContext,
        start: Date,
        logger: Logger
    ) async throws(JobError) -> (uri: S3URI, ifNoneMatch: Bool) {
        let overwrite = request.options.overwriteExisting
        if let recorded = context.targetURI.flatMap(S3URI.init) {
            switch try await owner(of: recorded, logger: logger) {
            case .none: return (recorded, !overwrite)
            case .some(request.taskId): return (recorded, false)
            case .some: if overwrite { return (recorded, false) }
            }
        }
        let name = OutputNaming.zipFileName(
            sourcePrefix: request.source.key,
            rate: request.options.compressionRate,
            start: start,
            outputFilename: request.options.outputFilename
        )
        if overwrite { return (S3URI(bucket: request.target.bucket, key: request.target.key + name), false) }
        for n in 0...OutputNaming.maximumNumber {
            let uri = S3URI(bucket: request.target.bucket, key: request.target.key + OutputNaming.numbered(name, n))
            switch try await owner(of: uri, logger: logger) {
            case .none: return (uri, true)
            case .some(request.taskId): return (uri, false)
            case .some: continue
            }
        }
        throw JobError(.refused, "\(OutputNaming.maximumNumber) numbered names are taken", field: "outputFilename")
    }

    /// `nil` when the key is free; else the task id that wrote it (`""` when it was not one of ours).
    private func owner(of uri: S3URI, logger: Logger) async throws(JobError) -> String? {
        do {
            let metadata = try await s3.headObject(bucket: uri.bucket, key: uri.key, logger: logger)
            return metadata.userMetadata[S3ZIPDestination.taskIdMetadataKey] ?? ""
        } catch let error as S3Error where error.code == .notFound {
            return nil
        } catch is CancellationError {
            throw JobError(.cancelled, "the job was cancelled before it finished")
        } catch {
            throw JobError(.outputFailed, "cannot check the target \(uri): \(error)")
        }
    }

    private func reject(
        _ context: JobContext,
        _ error: JobError,
        _ store: S3ResultStore,
        _ logger: Logger
    ) async
        -> Outcome
    {
        logger.warning("job refused", metadata: ["error.code": "\(error.code)", "field": "\(error.field ?? "")"])
        let result = JobResult.failed(context, error)
        await saveUnlessCompleted(result, to: store, logger)
        emitMetrics(result)
        return Outcome(disposition: .rejected(reason: error.description), result: result)
    }

    /// Writes the final result, prints the EMF line and maps the outcome to a disposition.
    private func finish(_ result: JobResult, _ store: S3ResultStore, _ logger: Logger) async -> Outcome {
        // In a task of its own: a cancelled job must still record why it stopped (a cancelled
        // task's own requests would fail at once).
        let saved = await Task { () async -> JobError? in
            do {
                try await store.save(result)
                return nil
            } catch {
                return error as? JobError ?? JobError(.resultsUnavailable, "\(error)")
            }
        }.value
        emitMetrics(result)
        if let saved {
            logger.warning("results unavailable", metadata: ["error": "\(saved.message)"])
            return Outcome(disposition: .retry(reason: saved.description), result: result)
        }
        guard let error = result.error else { return Outcome(disposition: .completed, result: result) }
        let disposition: MessageDisposition =
            error.code.isRetryable ? .retry(reason: error.description) : .rejected(reason: error.description)
        return Outcome(disposition: disposition, result: result)
    }

    /// Writes a failed result unless the task's document says it completed (a malformed duplicate
    /// must not erase a finished job's record).
    private func saveUnlessCompleted(_ result: JobResult, to store: S3ResultStore, _ logger: Logger) async {
        do {
            if try await store.load(taskId: result.taskId)?.status == .completed { return }
            try await store.save(result)
        } catch {
            logger.warning("results unavailable", metadata: ["error": "\(error.message)"])
        }
    }

    private func emitMetrics(_ result: JobResult) {
        metricsOutput(JobMetrics.record(for: result, namespace: configuration.metricsNamespace).encoded())
    }

    private func worker(attempt: Int) -> WorkerInfo {
        WorkerInfo(
            version: version,
            openjpegVersion: JPEG2000Library.openJPEGVersion,
            mode: mode,
            host: host,
            attempt: attempt
        )
    }
}
