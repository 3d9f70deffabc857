/// A failure of the worker's wiring: an event it cannot handle. (Bad settings are
/// `WorkerConfigurationError`s, read with the rest of the configuration.)
package struct WorkerError: Error, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case unsupportedEvent, invalidEvent
        }
        private let base: Base

        /// The Lambda event is not one the worker handles (not an SQS event).
        package static let unsupportedEvent = Code(base: .unsupportedEvent)
        /// The event has the right shape but cannot be read (a record without a messageId).
        package static let invalidEvent = Code(base: .invalidEvent)

        package var description: String { base.rawValue }
    }

    package let code: Code
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }
}
