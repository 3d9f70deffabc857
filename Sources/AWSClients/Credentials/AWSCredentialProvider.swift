import AWSSigV4
import Logging

/// Supplies the credentials that sign each request.
///
/// Called once per attempt, so implementations must be cheap when credentials are cached
/// (see ``RefreshingCredentialProvider``).
public protocol AWSCredentialProvider: Sendable {
    /// Returns credentials valid for at least the next request.
    /// - Throws: ``AWSClientError`` with code ``AWSClientError/Code/credentials`` when none can be had.
    func credentials(logger: Logger) async throws -> AWSCredentials
}

/// Fixed credentials: given explicitly, or read from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`
/// and `AWS_SESSION_TOKEN` (which is how Lambda provides them).
public struct StaticCredentialProvider: AWSCredentialProvider {
    public let value: AWSCredentials

    public init(_ value: AWSCredentials) { self.value = value }

    public func credentials(logger: Logger) async throws -> AWSCredentials { value }
}
