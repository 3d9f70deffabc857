import ArgumentParser
import CompressionAPI
import CompressionJob
import Foundation
import LambdaRuntime
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
import Worker

/// `dicom-j2k poll`: the SQS long-poller (a container on ECS, EC2, anywhere).
struct PollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poll",
        abstract: "Long-poll the job queue and run one compression job at a time.",
        discussion: """
            Receives one message at a time (WaitTimeSeconds 20), keeps it hidden while the job runs, \
            deletes it when the job completed or was rejected, and hides it for \
            WORKER_RETRY_DELAY_SECONDS after a retryable failure (after the queue's maxReceiveCount \
            SQS moves it to the DLQ). SIGTERM/SIGINT: no new message; the running job gets \
            WORKER_SHUTDOWN_GRACE_SECONDS to finish, then is cancelled (its upload aborted) and its \
            message made visible again. Configuration: README, "Configuration".
            """
    )

    @Option(name: .customLong("queue-url"), help: "The job queue (default: QUEUE_URL).")
    var queueURL: String?

    @Option(name: .customLong("max-jobs"), help: "Stop after this many messages.")
    var maxJobs: Int?

    @Option(name: .customLong("idle-exit"), help: "Stop when no message arrived for this many seconds.")
    var idleExit: Int?

    func validate() throws {
        if let maxJobs, maxJobs < 1 { throw ValidationError("--max-jobs must be at least 1") }
        if let idleExit, idleExit < 1 { throw ValidationError("--idle-exit must be at least 1 second") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = WorkerLogging.logger(environment)
        guard let queueURL = queueURL ?? environment["QUEUE_URL"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw ValidationError("poll needs --queue-url or QUEUE_URL")
        }
        try await CompressionJobHandler.withHandler(
            environment: environment,
            mode: .poll,
            version: DicomJ2KVersion.string,
            logger: logger
        ) { handler, sqs in
            var options = SQSPoller<CompressionJobHandler>.Options(
                queueURL: queueURL,
                settings: handler.configuration.runtime
            )
            options.maxJobs = maxJobs
            options.idleExit = idleExit.map { .seconds($0) }
            let poller = SQSPoller(sqs: sqs, options: options, handler: handler, logger: logger)
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [.init(service: poller, successTerminationBehavior: .gracefullyShutdownGroup)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            try await group.run()
        }
    }
}

/// `dicom-j2k lambda`: the Lambda Runtime API loop over SQS events and API Gateway HTTP API
/// requests (the container's default when `AWS_LAMBDA_RUNTIME_API` is set).
struct LambdaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lambda",
        abstract: "Run as a Lambda function: SQS event records one job at a time, or API Gateway HTTP API requests.",
        discussion: """
            Needs AWS_LAMBDA_RUNTIME_API (Lambda sets it). Records are processed one after another; \
            failed and retryable ones are answered in batchItemFailures (the event source mapping \
            needs ReportBatchItemFailures). A record starts only if max(WORKER_MIN_JOB_SECONDS, the \
            longest record so far) + WORKER_DEADLINE_MARGIN_SECONDS is left before the deadline; a \
            running job is cancelled WORKER_DEADLINE_MARGIN_SECONDS before it. An API Gateway HTTP \
            API event (payload 2.0) is served by the same routes as `serve` (docs/api.md).
            """
    )

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = WorkerLogging.logger(environment)
        var initialized = false
        do {
            try await CompressionJobHandler.withHandler(
                environment: environment,
                mode: .lambda,
                version: DicomJ2KVersion.string,
                logger: logger
            ) { handler, sqs in
                initialized = true
                let api = APIGatewayHandler(
                    service: APIService(
                        configuration: handler.configuration,
                        s3: handler.s3,
                        sqs: sqs,
                        version: DicomJ2KVersion.string,
                        host: handler.host
                    )
                )
                try await LambdaRuntime.run(environment: environment, logger: logger) {
                    LambdaEventDispatcher(
                        sqs: LambdaSQSEventHandler(
                            handler: handler,
                            options: .init(settings: handler.configuration.runtime)
                        ),
                        api: api
                    )
                }
            }
        } catch {
            // A bad configuration is the function's init error: Lambda shows it and stops the sandbox.
            if !initialized {
                try? await LambdaRuntime.reportInitError(error, environment: environment, logger: logger)
            }
            throw error
        }
    }
}

/// The worker modes' logger: one line per record on stderr (stdout carries the EMF lines), level
/// from `LOG_LEVEL` (default info).
enum WorkerLogging {
    static func logger(_ environment: [String: String]) -> Logger {
        var logger = Logger(label: "dicom-j2k", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        return logger
    }
}

/// One Lambda function, two event kinds: API Gateway HTTP API requests go to the API's router,
/// everything else to the SQS handler, which names what it expected when the event is neither.
struct LambdaEventDispatcher: LambdaHandler {
    let sqs: LambdaSQSEventHandler<CompressionJobHandler>
    let api: APIGatewayHandler

    func handle(_ event: ByteBuffer, context: LambdaContext) async throws -> ByteBuffer {
        if APIGatewayV2Request.matches(event) { return try await api.handle(event, context: context) }
        do {
            return try await sqs.handle(event, context: context)
        } catch let error as WorkerError where error.code == .unsupportedEvent {
            throw WorkerError(
                .unsupportedEvent,
                "unsupported Lambda event: expected an SQS event (Records[] with eventSource aws:sqs) "
                    + "or an API Gateway HTTP API event (payload version 2.0)"
            )
        }
    }
}
