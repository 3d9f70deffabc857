/// A failure below the service level: configuration, credentials, the connection, a timeout, or a
/// response that could not be understood. Service errors are ``S3Error`` and ``SQSError``.
public struct AWSClientError: Error, CustomStringConvertible {
    /// What kind of failure; compare with the static members (`error.code == .timeout`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case configuration, credentials, connection, requestFailed, timeout, invalidResponse, retryQuotaExceeded
        }
        private let base: Base

        /// The configuration (environment) is missing a value or holds an invalid one.
        public static let configuration = Code(base: .configuration)
        /// Credentials could not be obtained (none configured, or the credentials endpoint failed).
        public static let credentials = Code(base: .credentials)
        /// The connection failed, was refused, reset or closed early, or the host name did not
        /// resolve: transient, retried.
        public static let connection = Code(base: .connection)
        /// The request failed in a way another attempt cannot fix (TLS certificate verification or
        /// handshake, a protocol error, an error the client does not know): not retried.
        public static let requestFailed = Code(base: .requestFailed)
        /// An attempt or the whole operation ran out of time.
        public static let timeout = Code(base: .timeout)
        /// The service answered with something this client cannot parse.
        public static let invalidResponse = Code(base: .invalidResponse)
        /// Too many retries failed recently; the client stopped retrying to let the service recover.
        public static let retryQuotaExceeded = Code(base: .retryQuotaExceeded)

        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, in words.
    public let message: String
    /// The operation, for example `S3.PutObject`, when known.
    public let operation: String?
    /// The error underneath (an HTTP client or system error), if any.
    public let underlying: (any Error)?

    package init(_ code: Code, _ message: String, operation: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.operation = operation
        self.underlying = underlying
    }

    package func with(operation: String) -> AWSClientError {
        AWSClientError(code, message, operation: self.operation ?? operation, underlying: underlying)
    }

    public var description: String {
        var text = "AWSClientError.\(code)"
        if let operation { text += " in \(operation)" }
        text += ": \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
