// The scripted server takes its behaviour as a closure before the test body's trailing closure.
// swift-format-ignore-file: OnlyOneTrailingClosureArgument

import AWSClients
import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// Retries against a scripted server: which failures are retried, how often, how long the client
/// waits, and that nothing is retried that must not be.
struct RetryFaultTests {
    @Test func a503IsRetriedAndTheSameBodyIsSentAgain() async throws {
        let body = ByteBuffer(bytes: testBytes(count: 10_000, seed: 1))
        let sleeps = SleepRecorder()
        let logs = LogCapture()
        try await FaultServer.withServer({ _, index in
            index == 0
                ? .respond(.serviceUnavailable, body: s3ErrorBody("ServiceUnavailable"))
                : .respond(.ok, headers: [("ETag", "\"abc\"")])
        }) { server in
            try await withAWSHTTPClient { http in
                let s3 = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: sleeps),
                    httpClient: http
                )
                let result = try await s3.putObject(bucket: "bucket", key: "a/b.bin", body: body, logger: logs.logger)
                #expect(result.etag == "\"abc\"")
            }
            let requests = server.requests
            #expect(requests.count == 2)
            #expect(requests.allSatisfy { $0.bodyBytes == body.bytes && $0.path == "/bucket/a/b.bin" })
            // Each attempt is signed anew.
            #expect(requests.allSatisfy { $0.header("authorization")?.hasPrefix("AWS4-HMAC-SHA256 ") == true })
        }
        // Full jitter: random 0.5 × base 100 ms.
        #expect(sleeps.delays == [.milliseconds(50)])
        let retryLog = try #require(logs.all.first { $0.message == "retrying AWS request" })
        #expect(retryLog.level == .debug)
        #expect(retryLog.metadata["aws.operation"] == "S3.PutObject")
        #expect(retryLog.metadata["aws.attempt"] == "1")
    }

    @Test func attemptsStopAtTheMaximumWithExponentialBackoff() async throws {
        let sleeps = SleepRecorder()
        try await FaultServer.withServer({ _, _ in .respond(.internalServerError, body: s3ErrorBody("InternalError")) })
        { server in
            try await withAWSHTTPClient { http in
                let configuration = try faultConfiguration(
                    endpoint: server.endpoint,
                    maxAttempts: 4,
                    sleeps: sleeps,
                    random: 0.999
                )
                let s3 = S3Client(configuration: configuration, httpClient: http)
                let error = await #expect(throws: S3Error.self) {
                    try await s3.headObject(bucket: "bucket", key: "k", logger: quietLogger)
                }
                #expect(error?.code == .service)
                #expect(error?.statusCode == 500)
            }
            #expect(server.requests.count == 4)
        }
        // Ceilings 100, 200, 400 ms, each scaled by the random factor.
        let expected: [Duration] = [100, 200, 400].map { Duration.milliseconds($0) * 0.999 }
        #expect(sleeps.delays == expected)
    }

    @Test(arguments: [
        (HTTPResponseStatus.tooManyRequests, "TooManyRequests"),
        (.serviceUnavailable, "SlowDown"),
        (.badRequest, "RequestTimeout"),
        (.badGateway, "BadGateway"),
        (.gatewayTimeout, "GatewayTimeout"),
    ])
    func throttlingAndTransientErrorsAreRetried(status: HTTPResponseStatus, code: String) async throws {
        try await FaultServer.withServer({ _, index in
            index == 0 ? .respond(status, body: s3ErrorBody(code)) : .respond(.noContent)
        }) { server in
            try await withAWSHTTPClient { http in
                let s3 = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                try await s3.deleteObject(bucket: "bucket", key: "k", logger: quietLogger)
            }
            #expect(server.requests.count == 2)
        }
    }

    @Test(arguments: [
        (HTTPResponseStatus.forbidden, "AccessDenied", S3Error.Code.accessDenied),
        (.notFound, "NoSuchKey", .notFound),
        (.badRequest, "InvalidArgument", .invalidRequest),
        (.conflict, "OperationAborted", .service),
    ])
    func clientErrorsAreNotRetried(status: HTTPResponseStatus, code: String, expected: S3Error.Code) async throws {
        try await FaultServer.withServer({ _, _ in
            .respond(status, headers: [("x-amz-request-id", "REQ-HEADER")], body: s3ErrorBody(code, "said no"))
        }) { server in
            try await withAWSHTTPClient { http in
                let s3 = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let error = await #expect(throws: S3Error.self) {
                    try await s3.getObjectBytes(bucket: "bucket", key: "some/key", logger: quietLogger)
                }
                #expect(error?.code == expected)
                #expect(error?.errorCode == code)
                #expect(error?.message == "said no")
                #expect(error?.requestID == "REQ123")  // the body's RequestId wins over the header
                #expect(error?.key == "some/key")
                #expect(error?.statusCode == Int(status.code))
            }
            #expect(server.requests.count == 1)
        }
    }

    @Test func aSlowResponseTimesOutAndIsRetried() async throws {
        try await FaultServer.withServer({ _, _ in .delay(.seconds(5), then: .respond(.ok)) }) { server in
            try await withAWSHTTPClient { http in
                let configuration = try faultConfiguration(
                    endpoint: server.endpoint,
                    maxAttempts: 2,
                    attemptTimeout: .milliseconds(300),
                    sleeps: SleepRecorder()
                )
                let s3 = S3Client(configuration: configuration, httpClient: http)
                let error = await #expect(throws: AWSClientError.self) {
                    try await s3.putObject(
                        bucket: "bucket",
                        key: "k",
                        body: ByteBuffer(string: "x"),
                        logger: quietLogger
                    )
                }
                #expect(error?.code == .timeout)
                #expect(error?.operation == "S3.PutObject")
            }
            #expect(server.requests.count == 2)
        }
    }

    @Test func aResetConnectionIsRetriedForABufferedOperation() async throws {
        let listing = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult><Name>bucket</Name><KeyCount>1</KeyCount><IsTruncated>false</IsTruncated>
            <EncodingType>url</EncodingType>
            <Contents><Key>a+b%2Bc%20d/%E2%9C%93</Key><Size>3</Size><ETag>&quot;e&quot;</ETag><LastModified>2026-11-29T10:00:00.000Z</LastModified></Contents>
            </ListBucketResult>
            """
        try await FaultServer.withServer({ _, index in
            index == 0 ? .reset : .respond(.ok, body: ByteBuffer(string: listing))
        }) { server in
            try await withAWSHTTPClient { http in
                let s3 = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let page = try await s3.listObjectsV2(bucket: "bucket", prefix: "a b", logger: quietLogger)
                // encoding-type=url: `+` is a space, `%2B` a plus.
                #expect(page.objects.map(\.key) == ["a b+c d/✓"])
                #expect(page.objects.first?.etag == "\"e\"")
                #expect(page.objects.first?.size == 3)
            }
            #expect(server.requests.count == 2)
            #expect(server.requests[1].query == "encoding-type=url&list-type=2&prefix=a%20b")
        }
    }

    @Test func aConsumedStreamIsNeverSentAgain() async throws {
        let sleeps = SleepRecorder()
        try await FaultServer.withServer({ _, _ in .respond(.serviceUnavailable, body: s3ErrorBody("SlowDown")) }) {
            server in
            try await withAWSHTTPClient { http in
                let s3 = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: sleeps),
                    httpClient: http
                )
                let chunks = [ByteBuffer(string: "hello "), ByteBuffer(string: "world")]
                let stream = AsyncStream<ByteBuffer> { continuation in
                    for chunk in chunks { continuation.yield(chunk) }
                    continuation.finish()
                }
                let error = await #expect(throws: S3Error.self) {
                    try await s3.uploadPart(
                        bucket: "bucket",
                        key: "k",
                        uploadID: "U",
                        partNumber: 1,
                        body: .stream(length: 11, stream),
                        logger: quietLogger
                    )
                }
                #expect(error?.errorCode == "SlowDown")
            }
            // A retryable 503, but the stream was read: one attempt only.
            #expect(server.requests.count == 1)
            #expect(server.requests[0].bodyBytes == Array("hello world".utf8))
            #expect(server.requests[0].header("x-amz-content-sha256") == "UNSIGNED-PAYLOAD")
        }
        #expect(sleeps.delays.isEmpty)
    }

    @Test func cancellationStopsRetrying() async throws {
        try await FaultServer.withServer({ _, _ in .respond(.serviceUnavailable) }) { server in
            try await withAWSHTTPClient { http in
                var configuration = try faultConfiguration(
                    endpoint: server.endpoint,
                    maxAttempts: 10,
                    sleeps: SleepRecorder()
                )
                // Real sleeps this time: the task is cancelled while it waits.
                configuration.retryPolicy = RetryPolicy.standard(
                    maxAttempts: 10,
                    baseDelay: .seconds(30),
                    maxBackoff: .seconds(30)
                )
                let s3 = S3Client(configuration: configuration, httpClient: http)
                let task = Task { try await s3.deleteObject(bucket: "bucket", key: "k", logger: quietLogger) }
                while server.requests.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
                task.cancel()
                await #expect(throws: CancellationError.self) { try await task.value }
            }
            #expect(server.requests.count == 1)
        }
    }

    @Test func theSessionTokenIsSentAndSigned() async throws {
        try await FaultServer.withServer({ _, _ in .respond(.noContent) }) { server in
            try await withAWSHTTPClient { http in
                let configuration = try faultConfiguration(
                    endpoint: server.endpoint,
                    sleeps: SleepRecorder(),
                    sessionToken: "TOKEN/1+2="
                )
                try await S3Client(configuration: configuration, httpClient: http).deleteObject(
                    bucket: "b",
                    key: "k",
                    logger: quietLogger
                )
            }
            let request = try #require(server.requests.first)
            #expect(request.header("x-amz-security-token") == "TOKEN/1+2=")
            #expect(
                request.header("x-amz-content-sha256")
                    == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            )
            #expect(
                request.header("authorization")?.contains(
                    "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"
                ) == true
            )
            #expect(request.header("authorization")?.contains("Credential=ASIAEXAMPLE/") == true)
        }
    }
}
