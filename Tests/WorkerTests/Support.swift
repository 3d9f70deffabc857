import CompressionJob
import Foundation
import Logging
import Synchronization

/// A ``QueueMessageHandler`` scripted by the message body, standing in for the compression job at
/// the seam: `"ok"` completes, `"malformed"` is rejected, `"retry"` asks for redelivery,
/// `"sleep:SECONDS"` works that long (aborting with `.retry` when cancelled, as the job does).
final class ScriptedHandler: QueueMessageHandler {
    struct Call: Sendable, Equatable {
        var message: QueueMessage
        var disposition: MessageDisposition
        var cancelled: Bool
    }

    private let recorded = Mutex<[Call]>([])
    private let started = Mutex<[String]>([])
    var calls: [Call] { recorded.withLock { $0 } }
    /// Message ids whose handling started (also those still running).
    var startedIDs: [String] { started.withLock { $0 } }

    func handle(_ message: QueueMessage, logger: Logger) async -> MessageDisposition {
        started.withLock { $0.append(message.messageId) }
        var cancelled = false
        let disposition: MessageDisposition
        switch message.body {
        case "ok":
            disposition = .completed
        case "retry":
            disposition = .retry(reason: "S3 unavailable")
        case let body where body.hasPrefix("sleep:"):
            let seconds = Double(body.dropFirst("sleep:".count)) ?? 1
            do {
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                disposition = .completed
            } catch {
                cancelled = true
                disposition = .retry(reason: "cancelled")
            }
        default:
            disposition = .rejected(reason: "the body is not a job message")
        }
        recorded.withLock { $0.append(Call(message: message, disposition: disposition, cancelled: cancelled)) }
        return disposition
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()
