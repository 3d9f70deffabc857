import AWSSigV4
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The container credentials endpoint of ECS, EKS Pod Identity and similar: an HTTP URL that
/// answers with temporary credentials in JSON.
public struct ContainerCredentialsEndpoint: Sendable, Equatable {
    /// How the request to the endpoint is authorized.
    public enum Authorization: Sendable, Equatable {
        /// No `Authorization` header (ECS with a relative URI).
        case none
        /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
        case token(String)
        /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`; read again before every fetch, because EKS
        /// rotates the file.
        case tokenFile(String)
    }

    /// The full URL to GET.
    public var url: String
    public var authorization: Authorization

    public init(url: String, authorization: Authorization) {
        self.url = url
        self.authorization = authorization
    }

    /// The ECS agent's fixed address, prefixed to `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`.
    public static let ecsHost = "169.254.170.2"

    /// Reads the `AWS_CONTAINER_*` variables; `nil` when neither URI variable is set.
    ///
    /// A full URI must be `https`, or `http` to a loopback address or one of the container
    /// agents' link-local addresses (169.254.170.2, 169.254.170.23, fd00:ec2::23), as in the AWS SDKs:
    /// credentials must not travel in clear text to anywhere else.
    /// - Throws: ``AWSClientError/Code/configuration`` for a full URI that breaks that rule.
    public static func fromEnvironment(_ environment: [String: String]) throws(AWSClientError) -> Self? {
        let authorization: Authorization
        if let file = nonEmpty(environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]) {
            authorization = .tokenFile(file)
        } else if let token = nonEmpty(environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"]) {
            authorization = .token(token)
        } else {
            authorization = .none
        }
        if let relative = nonEmpty(environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]) {
            let path = relative.hasPrefix("/") ? relative : "/" + relative
            return Self(url: "http://\(ecsHost)\(path)", authorization: authorization)
        }
        guard let full = nonEmpty(environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"]) else { return nil }
        guard let url = URL(string: full), let scheme = url.scheme?.lowercased(), let host = url.host else {
            throw AWSClientError(.configuration, "AWS_CONTAINER_CREDENTIALS_FULL_URI=\(full) is not a URL")
        }
        guard scheme == "https" || (scheme == "http" && isAllowedPlainHTTPHost(host)) else {
            throw AWSClientError(
                .configuration,
                "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback or container agent address; got \(full)"
            )
        }
        return Self(url: full, authorization: authorization)
    }

    private static func isAllowedPlainHTTPHost(_ rawHost: String) -> Bool {
        let host = rawHost.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if host == "localhost" || host == "::1" || host == "169.254.170.2" || host == "169.254.170.23"
            || host == "fd00:ec2::23"
        {
            return true
        }
        let octets = host.split(separator: ".")
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// Fetches credentials from a ``ContainerCredentialsEndpoint`` (one GET; the caller caches).
package struct ContainerCredentialsFetcher: Sendable {
    let endpoint: ContainerCredentialsEndpoint
    let httpClient: HTTPClient
    let timeout: Duration
    let retryPolicy: RetryPolicy

    package init(
        endpoint: ContainerCredentialsEndpoint,
        httpClient: HTTPClient,
        timeout: Duration = .seconds(5),
        retryPolicy: RetryPolicy = .standard(maxAttempts: 3, baseDelay: .milliseconds(200))
    ) {
        self.endpoint = endpoint
        self.httpClient = httpClient
        self.timeout = timeout
        self.retryPolicy = retryPolicy
    }

    private struct Response: Decodable {
        var AccessKeyId: String
        var SecretAccessKey: String
        var Token: String?
        var Expiration: String?
    }

    package func fetch(logger: Logger) async throws -> AWSCredentials {
        let operation = "ContainerCredentials"
        do {
            return try await fetchWithRetries(operation: operation, logger: logger)
        } catch let error as TransientCredentialsError {
            throw error.error
        } catch let error as AWSClientError where error.code == .credentials {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw AWSClientError(
                .credentials,
                "could not fetch credentials from the container credentials endpoint \(endpoint.url)",
                operation: operation,
                underlying: error
            )
        }
    }

    private func fetchWithRetries(operation: String, logger: Logger) async throws -> AWSCredentials {
        try await withRetries(
            policy: retryPolicy,
            quota: nil,
            operation: operation,
            deadline: nil,
            logger: logger
        ) { _ in
            var request = HTTPClientRequest(url: endpoint.url)
            request.method = .GET
            if let token = try authorizationToken() { request.headers.add(name: "Authorization", value: token) }
            let httpClient = self.httpClient
            let timeout = self.timeout
            let prepared = request
            let (status, body) = try await withTimeout(timeout, operation: operation) {
                do {
                    let response = try await httpClient.execute(
                        prepared,
                        timeout: .nanoseconds(Int64(timeout.nanoseconds))
                    )
                    return (response.status.code, try await response.body.collect(upTo: 64 * 1024))
                } catch {
                    throw AWSClientError.wrapping(error, operation: operation)
                }
            }
            guard (200..<300).contains(status) else {
                let error = AWSClientError(
                    .credentials,
                    "the container credentials endpoint answered HTTP \(status): \(String(buffer: body).prefix(200))",
                    operation: operation
                )
                // The endpoint's own 5xx and throttling are worth another try; 4xx are not.
                if status >= 500 || status == 429 { throw TransientCredentialsError(error: error) }
                throw error
            }
            return try parse(body)
        }
    }

    private func authorizationToken() throws -> String? {
        let token: String
        switch endpoint.authorization {
        case .none:
            return nil
        case .token(let value):
            token = value
        case .tokenFile(let path):
            do {
                token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(
                    in: .whitespacesAndNewlines
                )
            } catch {
                throw AWSClientError(
                    .credentials,
                    "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(path)",
                    underlying: error
                )
            }
        }
        guard !token.contains("\r"), !token.contains("\n") else {
            throw AWSClientError(.credentials, "the container authorization token contains a line break")
        }
        return token
    }

    private func parse(_ body: ByteBuffer) throws -> AWSCredentials {
        let response: Response
        do {
            response = try JSONDecoder().decode(Response.self, from: Data(body.readableBytesView))
        } catch {
            throw AWSClientError(
                .credentials,
                "the container credentials endpoint's answer is not credentials JSON",
                underlying: error
            )
        }
        var expiration: Date?
        if let text = response.Expiration {
            guard let date = parseISO8601(text) else {
                throw AWSClientError(.credentials, "unreadable credentials Expiration \(text)")
            }
            expiration = date
        }
        return AWSCredentials(
            accessKeyID: response.AccessKeyId,
            secretAccessKey: response.SecretAccessKey,
            sessionToken: response.Token,
            expiration: expiration
        )
    }
}

/// A 5xx or throttling answer of the credentials endpoint: retried, then surfaced as its inner error.
private struct TransientCredentialsError: RetryClassifiable, CustomStringConvertible {
    let error: AWSClientError
    var retryDisposition: RetryDisposition { .transient }
    var description: String { error.description }
}

/// Parses `2026-11-29T12:00:00Z`, with or without fractional seconds.
package func parseISO8601(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }
}

private func nonEmpty(_ value: String?) -> String? {
    guard let value, !value.isEmpty else { return nil }
    return value
}
