import AWSClients
import CompressionJob
import Foundation
import Logging
import ServiceLifecycle

/// The `poll` mode: long-polls one message at a time, runs it through a ``QueueMessageHandler``
/// while a heartbeat keeps the message hidden, and settles it by its disposition.
///
/// - `.completed`, `.rejected`: the message is deleted (a rejected job's failed result is written).
/// - `.retry`: the message is hidden for ``Options/retryDelaySeconds`` (a short backoff, not the
///   full visibility timeout), then redelivered; after the queue's maxReceiveCount SQS moves it to
///   the dead-letter queue.
/// - graceful shutdown (SIGTERM/SIGINT through a `ServiceGroup`): no new receive; the running job
///   gets ``Options/shutdownGrace`` to finish, then is cancelled (the handler aborts its upload and
///   answers `.retry`) and the message is made visible at once (visibility 0) for another worker.
///
/// Receive errors (SQS unavailable) are logged and retried with exponential backoff; they never end
/// the loop.
package struct SQSPoller<Handler: QueueMessageHandler>: Service {
    package struct Options: Sendable {
        package var queueURL: String
        /// ReceiveMessage's long-poll wait (at most 20).
        package var waitTimeSeconds = 20
        /// The visibility every received message gets; the heartbeat renews it every half of it.
        package var visibilityTimeoutSeconds = 60
        /// How long the message stays hidden after a retryable failure (0: redelivered at once).
        package var retryDelaySeconds = 10
        /// After a graceful shutdown starts, how long the current job may still run.
        package var shutdownGrace: Duration = .seconds(20)
        /// Stop after this many messages (any disposition); `nil` for no limit.
        package var maxJobs: Int?
        /// Stop when no message arrived for this long; `nil` to poll forever.
        package var idleExit: Duration?
        /// The first wait after a failed receive; doubled per failure up to ``maximumReceiveBackoff``.
        package var receiveBackoff: Duration = .seconds(1)
        package var maximumReceiveBackoff: Duration = .seconds(30)

        package init(queueURL: String, settings: WorkerConfiguration.RuntimeSettings = .init()) {
            self.queueURL = queueURL
            visibilityTimeoutSeconds = settings.visibilityTimeoutSeconds
            retryDelaySeconds = settings.retryDelaySeconds
            shutdownGrace = .seconds(settings.shutdownGraceSeconds)
        }

        /// Half the visibility: one missed heartbeat still leaves time for the next.
        var heartbeatInterval: Duration { .milliseconds(visibilityTimeoutSeconds * 500) }
    }

    /// Why the loop ended, and what it did.
    package struct Summary: Sendable, Equatable {
        package enum StopReason: String, Sendable {
            case maxJobs, idle, shutdown, cancelled
        }
        package var stopReason: StopReason
        package var dispositions: [MessageDisposition] = []
        package var receiveFailures = 0
    }

    private let sqs: SQSClient
    private let options: Options
    private let handler: Handler
    private let logger: Logger

    package init(sqs: SQSClient, options: Options, handler: Handler, logger: Logger) {
        self.sqs = sqs
        self.options = options
        self.handler = handler
        var logger = logger
        logger[metadataKey: "sqs.queue_url"] = "\(options.queueURL)"
        self.logger = logger
    }

    package func run() async throws {
        _ = try await poll()
    }

    /// Polls until the job limit, the idle limit, a graceful shutdown or cancellation.
    package func poll() async throws -> Summary {
        var summary = Summary(stopReason: .cancelled)
        let clock = ContinuousClock()
        var lastActivity = clock.now
        var consecutiveFailures = 0
        logger.info(
            "Poller started",
            metadata: [
                "max-jobs": "\(options.maxJobs.map(String.init) ?? "none")",
                "idle-exit-seconds": "\(options.idleExit.map { "\($0.components.seconds)" } ?? "none")",
                "visibility-seconds": "\(options.visibilityTimeoutSeconds)",
            ]
        )
        while true {
            if Task.isCancelled {
                summary.stopReason = .cancelled
                break
            }
            if Task.isShuttingDownGracefully {
                summary.stopReason = .shutdown
                break
            }
            if let maxJobs = options.maxJobs, summary.dispositions.count >= maxJobs {
                summary.stopReason = .maxJobs
                break
            }
            var waitSeconds = options.waitTimeSeconds
            if let idleExit = options.idleExit {
                let idle = clock.now - lastActivity
                if idle >= idleExit {
                    summary.stopReason = .idle
                    break
                }
                // Wait no longer than the idle limit has left, so the exit comes on time.
                let left = (idleExit - idle).milliseconds
                waitSeconds = min(waitSeconds, max(1, Int((left + 999) / 1000)))
            }
            let wait = waitSeconds

            let messages: [SQSMessage]
            do {
                let queueURL = options.queueURL
                let visibility = options.visibilityTimeoutSeconds
                let sqs = self.sqs
                let logger = self.logger
                messages = try await cancelWhenGracefulShutdown {
                    try await sqs.receiveMessages(
                        queueURL: queueURL,
                        maxMessages: 1,
                        waitTimeSeconds: wait,
                        visibilityTimeout: visibility,
                        logger: logger
                    )
                }
                consecutiveFailures = 0
            } catch {
                if Task.isCancelled {
                    summary.stopReason = .cancelled
                    break
                }
                if Task.isShuttingDownGracefully {
                    summary.stopReason = .shutdown
                    break
                }
                consecutiveFailures += 1
                summary.receiveFailures += 1
                let delay = backoff(afterFailures: consecutiveFailures)
                logger.warning(
                    "Receive failed; retrying",
                    metadata: ["error": "\(error)", "failures": "\(consecutiveFailures)", "retry-in": "\(delay)"]
                )
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                continue
            }
            guard let message = messages.first else { continue }
            summary.dispositions.append(await process(message))
            lastActivity = clock.now
        }
        logger.info(
            "Poller stopped",
            metadata: ["reason": "\(summary.stopReason.rawValue)", "jobs": "\(summary.dispositions.count)"]
        )
        return summary
    }

    private func backoff(afterFailures failures: Int) -> Duration {
        let exponent = min(failures - 1, 16)
        let delay = options.receiveBackoff * (1 << exponent)
        return min(delay, options.maximumReceiveBackoff)
    }

    // MARK: - One message

    private enum JobEvent: Sendable {
        case finished(MessageDisposition)
        case graceExpired
        case helperEnded
    }

    /// Runs one message to its disposition and settles it with SQS.
    private func process(_ message: SQSMessage) async -> MessageDisposition {
        var logger = self.logger
        logger[metadataKey: "sqs.message_id"] = "\(message.messageID)"
        let queueMessage = QueueMessage(
            messageId: message.messageID,
            body: message.body,
            sentAt: message.sentTimestamp,
            receiveCount: message.approximateReceiveCount ?? 1
        )
        logger.info("Message received", metadata: ["receive-count": "\(queueMessage.receiveCount)"])
        logger.debug("Message body", metadata: ["body": "\(message.body)"])
        let start = ContinuousClock.now

        let handler = self.handler
        let options = self.options
        let jobLogger = logger
        var abandoned = false
        let disposition = await withTaskGroup(of: JobEvent.self) { group in
            group.addTask { .finished(await handler.handle(queueMessage, logger: jobLogger)) }
            group.addTask {
                await heartbeat(message, logger: jobLogger)
                return .helperEnded
            }
            group.addTask {
                // Structured: ends when the job ends (the group cancels it) or the grace runs out.
                do {
                    try await gracefulShutdown()
                    jobLogger.info(
                        "Shutdown requested; the current job may finish",
                        metadata: ["grace-seconds": "\(options.shutdownGrace.components.seconds)"]
                    )
                    try await Task.sleep(for: options.shutdownGrace)
                    return .graceExpired
                } catch {
                    return .helperEnded
                }
            }
            var result = MessageDisposition.retry(reason: "the job ended without a disposition")
            while let event = await group.next() {
                switch event {
                case .finished(let disposition):
                    result = disposition
                    group.cancelAll()
                case .graceExpired:
                    jobLogger.warning("Shutdown grace expired; cancelling the job")
                    abandoned = true
                    group.cancelAll()
                case .helperEnded:
                    continue
                }
            }
            return result
        }
        let elapsed = ContinuousClock.now - start
        await settle(message, disposition, abandoned: abandoned || Task.isShuttingDownGracefully, logger: logger)
        logger.info(
            "Message handled",
            metadata: [
                "disposition": "\(Self.name(of: disposition))", "reason": "\(Self.reason(of: disposition) ?? "")",
                "duration-seconds": "\(elapsed.components.seconds)",
            ]
        )
        return disposition
    }

    /// Keeps the message hidden while the job runs; ends when cancelled.
    private func heartbeat(_ message: SQSMessage, logger: Logger) async {
        while true {
            do {
                try await Task.sleep(for: options.heartbeatInterval)
            } catch {
                return
            }
            do {
                try await sqs.changeMessageVisibility(
                    queueURL: options.queueURL,
                    receiptHandle: message.receiptHandle,
                    visibilityTimeout: options.visibilityTimeoutSeconds,
                    logger: logger
                )
                logger.debug(
                    "Visibility extended",
                    metadata: ["visibility-seconds": "\(options.visibilityTimeoutSeconds)"]
                )
            } catch {
                if Task.isCancelled { return }
                // The next beat tries again; if the message does become visible, a redelivery is
                // safe because the job is idempotent.
                logger.warning("Extending visibility failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Deletes the message, or hides it for the retry delay (0 when the job was abandoned by shutdown).
    private func settle(_ message: SQSMessage, _ disposition: MessageDisposition, abandoned: Bool, logger: Logger) async
    {
        do {
            switch disposition {
            case .completed, .rejected:
                try await sqs.deleteMessage(
                    queueURL: options.queueURL,
                    receiptHandle: message.receiptHandle,
                    logger: logger
                )
            case .retry:
                let delay = abandoned ? 0 : options.retryDelaySeconds
                try await sqs.changeMessageVisibility(
                    queueURL: options.queueURL,
                    receiptHandle: message.receiptHandle,
                    visibilityTimeout: delay,
                    logger: logger
                )
            }
        } catch {
            // Left alone, the message reappears after its visibility timeout; the job is idempotent.
            logger.error("Settling the message failed", metadata: ["error": "\(error)"])
        }
    }

    static func name(of disposition: MessageDisposition) -> String {
        switch disposition {
        case .completed: "completed"
        case .rejected: "rejected"
        case .retry: "retry"
        }
    }

    static func reason(of disposition: MessageDisposition) -> String? {
        switch disposition {
        case .completed: nil
        case .rejected(let reason), .retry(let reason): reason
        }
    }
}
