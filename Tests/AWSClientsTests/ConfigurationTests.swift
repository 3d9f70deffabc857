import AWSClients
import AWSSigV4
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Testing

@testable import AWSClients

struct ConfigurationTests {
    static let keys = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"]

    @Test func awsDefaultsAreVirtualHostedHTTPS() throws {
        let configuration = try AWSConfiguration(environment: Self.keys.merging(["AWS_REGION": "eu-west-1"]) { $1 })
        #expect(configuration.region == "eu-west-1")
        #expect(configuration.s3Endpoint.origin() == "https://s3.eu-west-1.amazonaws.com")
        #expect(configuration.sqsEndpoint.origin() == "https://sqs.eu-west-1.amazonaws.com")
        #expect(configuration.s3AddressingStyle == .virtualHosted)
        #expect(configuration.credentials == .fixed(AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret")))
        #expect(configuration.retryPolicy.maxAttempts == 3)
    }

    @Test func perServiceEndpointsWinAndCustomEndpointsArePathStyle() throws {
        let configuration = try AWSConfiguration(
            environment: Self.keys.merging([
                "AWS_DEFAULT_REGION": "us-west-2",
                "AWS_ENDPOINT_URL": "http://localhost:4566",
                "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:9324/",
                "AWS_SESSION_TOKEN": "tok",
            ]) { $1 }
        )
        #expect(configuration.region == "us-west-2")
        #expect(configuration.s3Endpoint.origin() == "http://localhost:4566")
        #expect(configuration.sqsEndpoint.origin() == "http://127.0.0.1:9324")
        #expect(configuration.s3AddressingStyle == .path)
        #expect(
            configuration.credentials
                == .fixed(AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret", sessionToken: "tok"))
        )
    }

    @Test func aRegionIsRequiredForAWSButDefaultedForAnEmulator() throws {
        #expect(throws: AWSClientError.self) { try AWSConfiguration(environment: Self.keys) }
        let local = try AWSConfiguration(
            environment: Self.keys.merging(["AWS_ENDPOINT_URL_S3": "http://localhost:4566"]) { $1 }
        )
        #expect(local.region == "us-east-1")
        // AWS_REGION wins over AWS_DEFAULT_REGION.
        let both = try AWSConfiguration(
            environment: Self.keys.merging(["AWS_REGION": "a-1", "AWS_DEFAULT_REGION": "b-2"]) { $1 }
        )
        #expect(both.region == "a-1")
    }

    @Test func configuredEndpointsCanBeIgnored() throws {
        let configuration = try AWSConfiguration(
            environment: Self.keys.merging([
                "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://localhost:4566",
                "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
            ]) { $1 }
        )
        #expect(configuration.s3Endpoint.isCustom == false)
    }

    @Test func containerCredentialsAreUsedWithoutKeys() throws {
        let configuration = try AWSConfiguration(environment: [
            "AWS_REGION": "us-east-1", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/creds",
        ])
        #expect(
            configuration.credentials
                == .container(ContainerCredentialsEndpoint(url: "http://169.254.170.2/creds", authorization: .none))
        )
    }

    @Test(arguments: [
        ["AWS_REGION": "us-east-1"],  // no credentials at all
        ["AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "only-the-id"],
        ["AWS_REGION": "us east", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"],
        [
            "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
            "AWS_ENDPOINT_URL": "ftp://x",
        ],
        [
            "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
            "AWS_ENDPOINT_URL": "http://x/path",
        ],
        ["AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_MAX_ATTEMPTS": "0"],
    ])
    func invalidEnvironmentsAreConfigurationErrors(environment: [String: String]) {
        let error = #expect(throws: AWSClientError.self) { try AWSConfiguration(environment: environment) }
        #expect(error?.code == .configuration)
    }

    @Test func maxAttemptsComesFromTheEnvironment() throws {
        let configuration = try AWSConfiguration(
            environment: Self.keys.merging(["AWS_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "5"]) { $1 }
        )
        #expect(configuration.retryPolicy.maxAttempts == 5)
    }

    @Test func bucketsAreAddressedByStyle() throws {
        let aws = S3Client(
            configuration: try AWSConfiguration(environment: Self.keys.merging(["AWS_REGION": "eu-west-1"]) { $1 }),
            httpClient: .shared
        )
        let virtual = aws.request("S3.GetObject", .GET, bucket: "my-bucket", key: "a/b c")
        #expect(virtual.host == "my-bucket.s3.eu-west-1.amazonaws.com")
        #expect(virtual.path == "/a/b c")
        // Dots would break the TLS wildcard: path style.
        let dotted = aws.request("S3.GetObject", .GET, bucket: "my.bucket", key: "k")
        #expect(dotted.host == nil)
        #expect(dotted.path == "/my.bucket/k")

        let local = S3Client(
            configuration: try AWSConfiguration(
                environment: Self.keys.merging(["AWS_ENDPOINT_URL": "http://localhost:4566"]) { $1 }
            ),
            httpClient: .shared
        )
        let path = local.request("S3.ListObjectsV2", .GET, bucket: "my-bucket", key: nil)
        #expect(path.host == nil)
        #expect(path.path == "/my-bucket")
        #expect(path.endpoint.hostHeader() == "localhost:4566")
    }

    @Test func retryDelaysUseFullJitterUnderACap() {
        let policy = RetryPolicy.standard(maxAttempts: 10, baseDelay: .seconds(1), maxBackoff: .seconds(20))
            .withTestHooks(random: { 0.999_999 }, sleep: { _ in })
        let ceilings = (1...7).map { policy.delay(beforeRetry: $0) }
        #expect(ceilings.map { ($0 / .seconds(1)).rounded() } == [1, 2, 4, 8, 16, 20, 20])
        let zero = policy.withTestHooks(random: { 0 }, sleep: { _ in })
        #expect(zero.delay(beforeRetry: 3) == .zero)
        // A real random source stays in [0, ceiling).
        let real = RetryPolicy.standard(baseDelay: .milliseconds(100))
        for retry in 1...5 {
            let delay = real.delay(beforeRetry: retry)
            #expect(delay >= .zero && delay < .milliseconds(100) * (1 << (retry - 1)))
        }
    }

    @Test func theRetryQuotaStopsRetryStorms() {
        let quota = RetryQuota()
        var granted = 0
        while quota.acquire(for: .transient) != nil { granted += 1 }
        #expect(granted == 100)  // 500 tokens, 5 per retry
        quota.release(5)
        #expect(quota.acquire(for: .timeout) == nil)  // a timeout retry costs 10
        #expect(quota.acquire(for: .throttling) == 5)
    }
}
