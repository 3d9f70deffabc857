import AWSSigV4
import AsyncHTTPClient

/// Everything the S3 and SQS clients need to know, read once from the environment.
///
/// Keys (the AWS SDKs' names):
///
/// | key | meaning |
/// |---|---|
/// | `AWS_REGION`, else `AWS_DEFAULT_REGION` | signing region; required unless an endpoint URL is set (then `us-east-1`) |
/// | `AWS_ENDPOINT_URL` | endpoint of every service (LocalStack: `http://localhost:4566`) |
/// | `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_SQS` | per-service endpoint; wins over `AWS_ENDPOINT_URL` |
/// | `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` | `true`: ignore the three above |
/// | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | static credentials (Lambda sets these) |
/// | `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI` | container credentials endpoint (ECS, EKS) |
/// | `AWS_CONTAINER_AUTHORIZATION_TOKEN` / `_TOKEN_FILE` | its authorization (the file wins) |
/// | `AWS_MAX_ATTEMPTS` | attempts per request, first included (default 3) |
///
/// Credentials come from the environment keys if both are set, else from the container endpoint.
public struct AWSConfiguration: Sendable {
    /// Where credentials come from.
    public enum CredentialSource: Sendable, Equatable {
        /// Fixed credentials (from the environment, or given explicitly).
        case fixed(AWSCredentials)
        /// The container credentials endpoint, refreshed before expiry.
        case container(ContainerCredentialsEndpoint)
    }

    /// How S3 buckets are addressed.
    public enum S3AddressingStyle: Sendable, Equatable {
        /// `https://s3.region.amazonaws.com/bucket/key`.
        case path
        /// `https://bucket.s3.region.amazonaws.com/key` (AWS's preferred style), falling back to
        /// path style for bucket names that are not valid host labels (dots, upper case).
        case virtualHosted
    }

    /// The signing region.
    public var region: String
    /// The S3 endpoint.
    public var s3Endpoint: AWSEndpoint
    /// The SQS endpoint (the JSON protocol posts to it, whatever host a queue URL names).
    public var sqsEndpoint: AWSEndpoint
    /// Path style for custom endpoints (LocalStack, MinIO), virtual-hosted for AWS.
    public var s3AddressingStyle: S3AddressingStyle
    /// Where credentials come from.
    public var credentials: CredentialSource
    /// Retries (default: standard mode, 3 attempts).
    public var retryPolicy: RetryPolicy
    /// The limit for one attempt: until the whole response has arrived for buffered operations,
    /// until the response head for streamed downloads (default 60 s). An SQS long poll adds its wait.
    public var attemptTimeout: Duration
    /// The limit for a whole operation, retries and backoff included; `nil` for none (default 5 min).
    public var operationTimeout: Duration?
    /// The slowest upload rate still accepted, bytes per second (default 256 KiB/s). A request with
    /// a body of *n* bytes gets *n* / rate on top of ``attemptTimeout`` (an 8 MiB part 32 s more)
    /// and that much per attempt on top of ``operationTimeout``, so a large part is not cut off
    /// while a small request still fails fast.
    public var minimumUploadRate: Int = 256 * 1024

    /// Explicit configuration.
    public init(
        region: String,
        credentials: CredentialSource,
        endpoint: AWSEndpoint? = nil,
        s3Endpoint: AWSEndpoint? = nil,
        sqsEndpoint: AWSEndpoint? = nil,
        retryPolicy: RetryPolicy = .standard(),
        attemptTimeout: Duration = .seconds(60),
        operationTimeout: Duration? = .seconds(300)
    ) {
        self.region = region
        self.credentials = credentials
        let s3 = s3Endpoint ?? endpoint ?? .aws(service: "s3", region: region)
        self.s3Endpoint = s3
        self.sqsEndpoint = sqsEndpoint ?? endpoint ?? .aws(service: "sqs", region: region)
        self.s3AddressingStyle = s3.isCustom ? .path : .virtualHosted
        self.retryPolicy = retryPolicy
        self.attemptTimeout = attemptTimeout
        self.operationTimeout = operationTimeout
    }

    /// Reads the configuration from environment variables (see the table above).
    /// - Parameter environment: usually `ProcessInfo.processInfo.environment`; injected for tests.
    /// - Throws: ``AWSClientError`` with code ``AWSClientError/Code/configuration`` naming the
    ///   variable that is missing or invalid.
    public init(environment: [String: String]) throws(AWSClientError) {
        func value(_ key: String) -> String? {
            guard let value = environment[key]?.trimmingWhitespace(), !value.isEmpty else { return nil }
            return value
        }
        let ignoreEndpoints = value("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")?.lowercased() == "true"
        func endpoint(_ key: String) throws(AWSClientError) -> AWSEndpoint? {
            guard !ignoreEndpoints, let url = value(key) else { return nil }
            return try AWSEndpoint(url: url, variable: key)
        }
        let shared = try endpoint("AWS_ENDPOINT_URL")
        let s3 = try endpoint("AWS_ENDPOINT_URL_S3")
        let sqs = try endpoint("AWS_ENDPOINT_URL_SQS")

        // A local emulator does not care about the region; AWS does, and guessing one would send
        // requests to the wrong place.
        guard
            let region = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION")
                ?? (shared ?? s3 ?? sqs).map({ _ in "us-east-1" })
        else {
            throw AWSClientError(.configuration, "no region: set AWS_REGION (or AWS_DEFAULT_REGION)")
        }
        guard region.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw AWSClientError(.configuration, "AWS_REGION=\(region) is not a region name")
        }

        let credentials: CredentialSource
        switch (value("AWS_ACCESS_KEY_ID"), value("AWS_SECRET_ACCESS_KEY")) {
        case (let key?, let secret?):
            credentials = .fixed(
                AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
            )
        case (.some, nil), (nil, .some):
            throw AWSClientError(
                .configuration,
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together"
            )
        case (nil, nil):
            guard let container = try ContainerCredentialsEndpoint.fromEnvironment(environment) else {
                throw AWSClientError(
                    .configuration,
                    "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where "
                        + "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI is set"
                )
            }
            credentials = .container(container)
        }

        var retryPolicy = RetryPolicy.standard()
        if let text = value("AWS_MAX_ATTEMPTS") {
            guard let attempts = Int(text), attempts >= 1, attempts <= 20 else {
                throw AWSClientError(.configuration, "AWS_MAX_ATTEMPTS=\(text) is not a number from 1 to 20")
            }
            retryPolicy.maxAttempts = attempts
        }
        self.init(
            region: region,
            credentials: credentials,
            endpoint: shared,
            s3Endpoint: s3,
            sqsEndpoint: sqs,
            retryPolicy: retryPolicy
        )
    }

    /// The credential provider for this configuration; share one between the S3 and SQS clients so
    /// container credentials are fetched once.
    public func makeCredentialProvider(httpClient: HTTPClient) -> any AWSCredentialProvider {
        switch credentials {
        case .fixed(let credentials):
            return StaticCredentialProvider(credentials)
        case .container(let endpoint):
            let fetcher = ContainerCredentialsFetcher(endpoint: endpoint, httpClient: httpClient)
            return RefreshingCredentialProvider { logger in try await fetcher.fetch(logger: logger) }
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
