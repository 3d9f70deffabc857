// The scripted server takes its behaviour as a closure before the test body's trailing closure.
// swift-format-ignore-file: OnlyOneTrailingClosureArgument

import AWSClients
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import TestSupport
import Testing

/// Which failures are not retried, timeouts that follow the body size, listings that would not end,
/// and CreateMultipartUpload attempts that landed without an answer.
struct HardeningFaultTests {
    /// A TLS failure (verification, handshake) fails the same way every time: it is an error the
    /// transport does not know as transient, so it becomes `requestFailed` and is never retried.
    /// (Checked on the classifier: against a live server, the HTTP client retries failed connects
    /// within one attempt until its deadline, so which error surfaces depends on timing.)
    @Test func aTLSFailureIsNotRetried() {
        struct HandshakeFailed: Error {}
        let wrapped = AWSClientError.wrapping(HandshakeFailed(), operation: "HeadObject")
        #expect((wrapped as? AWSClientError)?.code == .requestFailed, "\(wrapped)")
        #expect(classifyForRetry(wrapped) == .final)
        #expect(classifyForRetry(AWSClientError.wrapping(HTTPClientError.invalidURL, operation: "x")) == .final)
        #expect(classifyForRetry(HTTPClientError.remoteConnectionClosed) == .transient)
        #expect(classifyForRetry(HTTPClientError.readTimeout) == .timeout)
    }

    /// A refused connection (nothing listens) is transient: retried up to the attempt limit. (The
    /// HTTP client itself retries refused connects within an attempt, so the attempt ends with its
    /// timeout.)
    @Test func aRefusedConnectionIsRetried() async throws {
        let port = try await Self.closedPort()
        let (error, delays) = try await Self.headObjectFailure(
            endpoint: "http://127.0.0.1:\(port)",
            attemptTimeout: .seconds(1)
        )
        #expect(error?.code == .connection || error?.code == .timeout, "\(String(describing: error))")
        #expect(delays.count == 2)
    }

    /// A host name that does not resolve (`.invalid` never does) is retried like a refused
    /// connection: resolver hiccups are transient in Lambda and VPCs.
    @Test func aFailedNameLookupIsRetried() async throws {
        let (error, delays) = try await Self.headObjectFailure(
            endpoint: "http://dicom-j2k-test.invalid",
            attemptTimeout: .seconds(2)
        )
        // `.timeout` where no resolver answers at all (this project's sandbox).
        #expect(error?.code == .connection || error?.code == .timeout, "\(String(describing: error))")
        #expect(delays.count == 2)
    }

    /// A HeadObject against `endpoint` that must fail: its error and the backoff waits before retries.
    static func headObjectFailure(
        endpoint: String,
        attemptTimeout: Duration
    ) async throws -> (AWSClientError?, [Duration]) {
        let sleeps = SleepRecorder()
        let error = try await withAWSHTTPClient { http in
            let s3 = S3Client(
                configuration: try faultConfiguration(
                    endpoint: endpoint,
                    attemptTimeout: attemptTimeout,
                    sleeps: sleeps
                ),
                httpClient: http
            )
            return await #expect(throws: AWSClientError.self) {
                try await s3.headObject(bucket: "bucket", key: "k", logger: quietLogger)
            }
        }
        return (error, sleeps.delays)
    }

    /// The classification of errors the HTTP stack throws, one class per row of docs/aws.md.
    @Test func transportErrorsAreClassifiedPerTheTable() {
        #expect(
            classifyForRetry(AWSClientError.wrapping(IOError(errnoCode: ECONNRESET, reason: "read"), operation: "x"))
                == .transient
        )
        #expect(
            classifyForRetry(AWSClientError.wrapping(IOError(errnoCode: EPIPE, reason: "write"), operation: "x"))
                == .transient
        )
        #expect(
            classifyForRetry(AWSClientError.wrapping(IOError(errnoCode: EACCES, reason: "open"), operation: "x"))
                == .final
        )
        #expect(classifyForRetry(AWSClientError.wrapping(HTTPClientError.readTimeout, operation: "x")) == .timeout)
        #expect(
            classifyForRetry(AWSClientError.wrapping(HTTPClientError.remoteConnectionClosed, operation: "x"))
                == .transient
        )
        #expect(
            classifyForRetry(AWSClientError.wrapping(ChannelError.connectTimeout(.seconds(1)), operation: "x"))
                == .timeout
        )
        let badURL = AWSClientError.wrapping(HTTPClientError.invalidURL, operation: "x") as? AWSClientError
        #expect(badURL?.code == .configuration)
        #expect(badURL?.retryDisposition == .final)
        struct Unknown: Error {}
        let unknown = AWSClientError.wrapping(Unknown(), operation: "x") as? AWSClientError
        #expect(unknown?.code == .requestFailed)
        #expect(unknown?.retryDisposition == .final)
        #expect(classifyForRetry(HTTPClientError.tlsHandshakeTimeout) == .timeout)
    }

    /// The attempt timeout grows with the body: a 2 MiB body at the minimum rate of 1 MiB/s gets 2 s
    /// on top of the 1 s attempt timeout, so a server that answers after 1.5 s is not cut off; a
    /// request without a body is.
    @Test func theAttemptTimeoutScalesWithTheBodySize() async throws {
        let body = ByteBuffer(bytes: testBytes(count: 2 * 1024 * 1024, seed: 5))
        try await FaultServer.withServer({ _, _ in
            .delay(.milliseconds(1500), then: .respond(.ok, headers: [("ETag", "\"e\"")]))
        }) { server in
            try await withAWSHTTPClient { http in
                var configuration = try faultConfiguration(
                    endpoint: server.endpoint,
                    maxAttempts: 1,
                    attemptTimeout: .seconds(1),
                    sleeps: SleepRecorder()
                )
                configuration.minimumUploadRate = 1024 * 1024
                let s3 = S3Client(configuration: configuration, httpClient: http)
                let result = try await s3.putObject(bucket: "bucket", key: "big", body: body, logger: quietLogger)
                #expect(result.etag == "\"e\"")
                let error = await #expect(throws: AWSClientError.self) {
                    try await s3.headObject(bucket: "bucket", key: "small", logger: quietLogger)
                }
                #expect(error?.code == .timeout)
            }
            #expect(server.requests.count == 2)
        }
    }

    /// A server that hands out the same continuation token again would make the listing loop for
    /// ever; the listing ends with an error after the second page.
    @Test func aRepeatedContinuationTokenEndsTheListing() async throws {
        let page = """
            <ListBucketResult><Name>bucket</Name><IsTruncated>true</IsTruncated>\
            <NextContinuationToken>same-token</NextContinuationToken>\
            <Contents><Key>k</Key><Size>1</Size></Contents></ListBucketResult>
            """
        try await FaultServer.withServer({ _, _ in .respond(.ok, body: ByteBuffer(string: page)) }) { server in
            try await withAWSHTTPClient { http in
                let s3 = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                var keys = 0
                let error = await #expect(throws: S3Error.self) {
                    for try await _ in s3.listObjects(bucket: "bucket", prefix: "p/", logger: quietLogger) {
                        keys += 1
                    }
                }
                #expect(error?.errorCode == "RepeatedContinuationToken")
                #expect(error?.code == .invalidResponse)
                // The second page's keys are not handed out: its token is the one seen before.
                #expect(keys == 1)
            }
            #expect(server.requests.count == 2)
        }
    }

    /// The first CreateMultipartUpload creates an upload but its answer comes too late; the retry
    /// creates a second. The client finds the first with ListMultipartUploads and aborts it, so no
    /// upload is left behind, and the object is complete.
    @Test func aCreateMultipartUploadRetriedAfterATimeoutAbortsTheUploadItLost() async throws {
        let object = testBytes(count: 6 * 1024 * 1024 + 11, seed: 9)
        let shared = SharedMiniS3()
        let logs = LogCapture()
        try await FaultServer.withServer(shared.behaviour) { server in
            try await withAWSHTTPClient { http in
                let client = S3Client(
                    configuration: try faultConfiguration(
                        endpoint: server.endpoint,
                        attemptTimeout: .seconds(1),
                        sleeps: SleepRecorder()
                    ),
                    httpClient: http
                )
                try await client.withMultipartUpload(
                    bucket: "bucket",
                    key: "out/DoeJane.zip",
                    options: S3MultipartUploadOptions(partSize: 5 * 1024 * 1024),
                    logger: logs.logger
                ) { writer in
                    try await writer.write(object[...])
                }
            }
            #expect(shared.store.object("/bucket/out/DoeJane.zip").map(sha256Hex) == sha256Hex(object))
            #expect(shared.store.aborted == ["upload-1"])
            #expect(shared.store.openUploads == 0)
            let listed = server.requests.filter { $0.method == .GET && $0.query.contains("uploads") }
            #expect(listed.count == 1)
        }
        // The key appears only in debug records.
        #expect(logs.all.contains { $0.level == .debug && "\($0.metadata)".contains("DoeJane") })
        #expect(logs.all.filter { $0.level > .debug && "\($0.metadata)".contains("DoeJane") }.isEmpty)
    }

    /// A port nothing listens on: bound, then closed.
    static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 9
        try await channel.close()
        return port
    }
}

/// A ``MiniS3`` whose first CreateMultipartUpload creates its upload at once but answers 3 s late.
final class SharedMiniS3: Sendable {
    let store = MiniS3()
    private let creates = Mutex(0)

    var behaviour: FaultServer.Behaviour {
        { request, _ in
            let answer = self.store.answer(request)
            guard request.method == .POST, request.query.hasPrefix("uploads") else { return answer }
            let first = self.creates.withLock { count -> Bool in
                count += 1
                return count == 1
            }
            return first ? .delay(.seconds(3), then: answer) : answer
        }
    }
}
