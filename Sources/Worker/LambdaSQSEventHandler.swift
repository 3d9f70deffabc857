import CompressionJob
import Foundation
import LambdaRuntime
import Logging
import NIOCore

/// The `lambda` mode's handler: an SQS batch in, `{"batchItemFailures":[…]}` out.
///
/// Records run one after another through the ``QueueMessageHandler``. `.rejected` and `.retry`
/// records are reported as failures (SQS then redelivers them and, after maxReceiveCount, moves
/// them to the DLQ; the event source mapping needs `ReportBatchItemFailures`).
///
/// Deadline policy: a record starts only if the time left is at least
/// `max(minimumJobTime, longest record so far in this invocation) + deadlineMargin`; records that
/// cannot start are reported as failures untouched. A running record is cancelled
/// `deadlineMargin` before the deadline, so its upload is aborted and its result written before
/// Lambda stops the sandbox; it answers `.retry`.
package struct LambdaSQSEventHandler<Handler: QueueMessageHandler>: LambdaHandler {
    package struct Options: Sendable {
        /// A running job is cancelled this long before the deadline.
        package var deadlineMargin: Duration = .seconds(5)
        /// The least time a record is assumed to need before anything is known.
        package var minimumJobTime: Duration = .seconds(10)

        package init(settings: WorkerConfiguration.RuntimeSettings = .init()) {
            deadlineMargin = .seconds(settings.deadlineMarginSeconds)
            minimumJobTime = .seconds(settings.minimumJobSeconds)
        }
    }

    /// The partial batch response.
    package struct BatchResponse: Codable, Equatable, Sendable {
        package struct Failure: Codable, Equatable, Sendable {
            package var itemIdentifier: String
        }
        package var batchItemFailures: [Failure]
    }

    private let handler: Handler
    private let options: Options

    package init(handler: Handler, options: Options = Options()) {
        self.handler = handler
        self.options = options
    }

    package func handle(_ event: ByteBuffer, context: LambdaContext) async throws -> ByteBuffer {
        switch try LambdaEvent(decoding: event) {
        case .sqs(let sqsEvent):
            let response = await process(sqsEvent, context: context)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return ByteBuffer(bytes: try encoder.encode(response))
        }
    }

    private enum RecordEvent: Sendable {
        case finished(MessageDisposition)
        case deadline
        case timerCancelled
    }

    /// Runs the records in order and collects the failures.
    package func process(_ event: SQSEvent, context: LambdaContext) async -> BatchResponse {
        var failures: [BatchResponse.Failure] = []
        var longest: Duration = .zero
        let logger = context.logger
        for (index, record) in event.Records.enumerated() {
            var recordLogger = logger
            recordLogger[metadataKey: "sqs.message_id"] = "\(record.messageId)"
            let needed = max(options.minimumJobTime, longest) + options.deadlineMargin
            guard context.remainingTime >= needed, !Task.isCancelled else {
                recordLogger.warning(
                    "Not enough time left; records reported as failures",
                    metadata: [
                        "remaining-ms": "\(context.remainingTime.milliseconds)", "needed-ms": "\(needed.milliseconds)",
                        "records": "\(event.Records.count - index)",
                    ]
                )
                failures += event.Records[index...].map { BatchResponse.Failure(itemIdentifier: $0.messageId) }
                break
            }
            let start = ContinuousClock.now
            let disposition = await run(record, context: context, logger: recordLogger)
            let elapsed = ContinuousClock.now - start
            longest = max(longest, elapsed)
            recordLogger.info(
                "Record handled",
                metadata: [
                    "disposition": "\(SQSPoller<Handler>.name(of: disposition))",
                    "reason": "\(SQSPoller<Handler>.reason(of: disposition) ?? "")",
                    "duration-ms": "\(elapsed.milliseconds)",
                ]
            )
            if disposition != .completed {
                failures.append(BatchResponse.Failure(itemIdentifier: record.messageId))
            }
        }
        return BatchResponse(batchItemFailures: failures)
    }

    /// One record, cancelled `deadlineMargin` before the deadline.
    private func run(_ record: SQSEvent.Record, context: LambdaContext, logger: Logger) async -> MessageDisposition {
        let message = record.queueMessage
        logger.debug("Record body", metadata: ["body": "\(message.body)"])
        let handler = self.handler
        let untilCancel = context.remainingTime - options.deadlineMargin
        return await withTaskGroup(of: RecordEvent.self) { group in
            group.addTask { .finished(await handler.handle(message, logger: logger)) }
            group.addTask {
                do {
                    try await Task.sleep(for: untilCancel)
                } catch {
                    return .timerCancelled
                }
                return .deadline
            }
            var result = MessageDisposition.retry(reason: "the job ended without a disposition")
            while let event = await group.next() {
                switch event {
                case .finished(let disposition):
                    result = disposition
                    group.cancelAll()
                case .timerCancelled:
                    continue
                case .deadline:
                    logger.warning("Deadline near; cancelling the job")
                    group.cancelAll()
                }
            }
            return result
        }
    }
}

extension Duration {
    /// Whole milliseconds, for logs.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
