import CompressionJob
import Foundation
import NIOCore

/// The Lambda events the worker understands, told apart by their shape. API Gateway HTTP API
/// events never get here: the executable's `LambdaEventDispatcher` sends them to the HTTP API
/// first (CompressionAPI, which this module does not depend on).
package enum LambdaEvent: Sendable, Equatable {
    /// An SQS event source mapping's batch.
    case sqs(SQSEvent)

    /// Recognises and decodes an event.
    /// - Throws: ``WorkerError/Code/unsupportedEvent`` for anything that is not a known kind,
    ///   ``WorkerError/Code/invalidEvent`` for a known kind that cannot be read.
    package init(decoding event: ByteBuffer) throws(WorkerError) {
        let data = Data(event.readableBytesView)
        // Only what tells the kinds apart.
        struct Probe: Decodable {
            struct Record: Decodable { var eventSource: String? }
            var Records: [Record]?
        }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: data) else {
            throw WorkerError(.unsupportedEvent, "the Lambda event is not a JSON object; expected an SQS event")
        }
        if let records = probe.Records, !records.isEmpty, records.allSatisfy({ $0.eventSource == "aws:sqs" }) {
            do {
                self = .sqs(try JSONDecoder().decode(SQSEvent.self, from: data))
            } catch {
                throw WorkerError(.invalidEvent, "the SQS event cannot be read: \(error)")
            }
            return
        }
        throw WorkerError(
            .unsupportedEvent,
            "unsupported Lambda event: expected an SQS event (Records[] with eventSource aws:sqs)"
        )
    }
}

/// An SQS event (`Records[]`), with the fields the worker uses.
package struct SQSEvent: Decodable, Sendable, Equatable {
    package struct Record: Decodable, Sendable, Equatable {
        package struct Attributes: Decodable, Sendable, Equatable {
            package var SentTimestamp: String?
            package var ApproximateReceiveCount: String?
        }
        package var messageId: String
        /// Missing bodies are passed on empty: the handler rejects them with a reason.
        package var body: String?
        package var attributes: Attributes?
        package var eventSource: String?

        /// The record as the job sees a message.
        package var queueMessage: QueueMessage {
            QueueMessage(
                messageId: messageId,
                body: body ?? "",
                sentAt: attributes?.SentTimestamp.flatMap { Int64($0) }
                    .map { Date(timeIntervalSince1970: Double($0) / 1000) },
                receiveCount: attributes?.ApproximateReceiveCount.flatMap { Int($0) } ?? 1
            )
        }
    }
    package var Records: [Record]
}
