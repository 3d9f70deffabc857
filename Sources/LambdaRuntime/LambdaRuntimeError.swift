/// A failure of the Lambda runtime itself (not of a handler): the Runtime API is not configured,
/// cannot be reached, or answers something unexpected.
public struct LambdaRuntimeError: Error, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case missingRuntimeAPI, invalidRuntimeAPI, unexpectedStatus, missingHeader, invalidHeader, connection
        }
        private let base: Base

        /// `AWS_LAMBDA_RUNTIME_API` is not set (not running inside Lambda).
        public static let missingRuntimeAPI = Code(base: .missingRuntimeAPI)
        /// `AWS_LAMBDA_RUNTIME_API` is not `host:port`.
        public static let invalidRuntimeAPI = Code(base: .invalidRuntimeAPI)
        /// The Runtime API answered with a status other than the documented one.
        public static let unexpectedStatus = Code(base: .unexpectedStatus)
        /// An invocation lacked a required header (`Lambda-Runtime-Aws-Request-Id`, `…-Deadline-Ms`).
        public static let missingHeader = Code(base: .missingHeader)
        /// A header's value could not be read (a deadline that is not a number).
        public static let invalidHeader = Code(base: .invalidHeader)
        /// The connection to the Runtime API failed.
        public static let connection = Code(base: .connection)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String
    public let underlying: (any Error)?

    package init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        let cause = underlying.map { " (\($0))" } ?? ""
        return "Lambda runtime error \(code): \(message)\(cause)"
    }
}
