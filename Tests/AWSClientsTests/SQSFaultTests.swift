// The scripted server takes its behaviour as a closure before the test body's trailing closure.
// swift-format-ignore-file: OnlyOneTrailingClosureArgument

import AWSClients
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The SQS JSON protocol against a scripted server: request shape, error decoding, retries, MD5 checks.
struct SQSFaultTests {
    static let queueURL = "http://localhost:4566/000000000000/jobs"

    @Test func receiveSendsTheJSONProtocolAndDecodesMessages() async throws {
        let response = """
            {"Messages":[{"MessageId":"m-1","ReceiptHandle":"rh-1","MD5OfBody":"\(md5("hello"))","Body":"hello",
            "Attributes":{"ApproximateReceiveCount":"2","SentTimestamp":"1764410400000"}}]}
            """
        try await FaultServer.withServer({ _, _ in .respond(.ok, body: ByteBuffer(string: response)) }) { server in
            let messages = try await withAWSHTTPClient { http in
                let sqs = SQSClient(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                return try await sqs.receiveMessages(
                    queueURL: Self.queueURL,
                    maxMessages: 5,
                    waitTimeSeconds: 7,
                    visibilityTimeout: 60,
                    logger: quietLogger
                )
            }
            #expect(messages.count == 1)
            #expect(messages.first?.body == "hello")
            #expect(messages.first?.receiptHandle == "rh-1")
            #expect(messages.first?.approximateReceiveCount == 2)
            #expect(messages.first?.sentTimestamp == Date(timeIntervalSince1970: 1_764_410_400))

            let request = try #require(server.requests.first)
            #expect(request.method == .POST)
            #expect(request.path == "/")
            #expect(request.header("x-amz-target") == "AmazonSQS.ReceiveMessage")
            #expect(request.header("content-type") == "application/x-amz-json-1.0")
            // SQS is not S3: no payload hash header; the body is signed through the canonical request.
            #expect(request.header("x-amz-content-sha256") == nil)
            #expect(request.header("authorization")?.contains("/us-east-1/sqs/aws4_request") == true)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(request.bodyBytes)) as? [String: Any])
            #expect(json["QueueUrl"] as? String == Self.queueURL)
            #expect(json["MaxNumberOfMessages"] as? Int == 5)
            #expect(json["WaitTimeSeconds"] as? Int == 7)
            #expect(json["VisibilityTimeout"] as? Int == 60)
            let names = try #require(json["MessageSystemAttributeNames"] as? [String])
            #expect(names.contains("ApproximateReceiveCount") && names.contains("SentTimestamp"))
        }
    }

    @Test func errorsCarryTheAWSCode() async throws {
        try await FaultServer.withServer({ _, _ in
            .respond(
                .badRequest,
                headers: [
                    ("x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"),
                    ("x-amzn-RequestId", "R-9"),
                ],
                body: ByteBuffer(
                    string:
                        #"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#
                )
            )
        }) { server in
            try await withAWSHTTPClient { http in
                let sqs = SQSClient(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let error = await #expect(throws: SQSError.self) {
                    try await sqs.sendMessage(queueURL: Self.queueURL, body: "x", logger: quietLogger)
                }
                #expect(error?.code == .queueDoesNotExist)
                #expect(error?.errorCode == "QueueDoesNotExist")
                #expect(error?.message == "The specified queue does not exist.")
                #expect(error?.requestID == "R-9")
                #expect(error?.queueURL == Self.queueURL)
            }
            #expect(server.requests.count == 1)
        }
    }

    @Test func throttlingAndServerErrorsAreRetried() async throws {
        try await FaultServer.withServer({ _, index in
            switch index {
            case 0:
                .respond(
                    .badRequest,
                    body: ByteBuffer(
                        string: #"{"__type":"com.amazonaws.sqs#ThrottlingException","message":"slow down"}"#
                    )
                )
            case 1:
                .respond(
                    .internalServerError,
                    body: ByteBuffer(string: #"{"__type":"com.amazonaws.sqs#InternalError"}"#)
                )
            default:
                .respond(.ok, body: ByteBuffer(string: #"{"MessageId":"m-2","MD5OfMessageBody":"\#(md5("job"))"}"#))
            }
        }) { server in
            let id = try await withAWSHTTPClient { http in
                let sqs = SQSClient(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                return try await sqs.sendMessage(queueURL: Self.queueURL, body: "job", logger: quietLogger)
            }
            #expect(id == "m-2")
            #expect(server.requests.count == 3)
        }
    }

    @Test func aCorruptedBodyIsRejected() async throws {
        let response =
            #"{"Messages":[{"MessageId":"m","ReceiptHandle":"r","MD5OfBody":"00000000000000000000000000000000","Body":"x"}]}"#
        try await FaultServer.withServer({ _, _ in .respond(.ok, body: ByteBuffer(string: response)) }) { server in
            try await withAWSHTTPClient { http in
                let sqs = SQSClient(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let error = await #expect(throws: SQSError.self) {
                    try await sqs.receiveMessages(queueURL: Self.queueURL, waitTimeSeconds: 0, logger: quietLogger)
                }
                #expect(error?.code == .invalidResponse)
                #expect(error?.errorCode == "MD5Mismatch")
            }
        }
    }

    @Test func aLongPollOutlivesTheAttemptTimeout() async throws {
        try await FaultServer.withServer({ _, _ in
            .delay(.milliseconds(600), then: .respond(.ok, body: ByteBuffer(string: "{}")))
        }) { server in
            try await withAWSHTTPClient { http in
                // The attempt timeout (200 ms) is shorter than the server's answer, but a receive with
                // a 1 s wait gets wait + 10 s.
                let configuration = try faultConfiguration(
                    endpoint: server.endpoint,
                    maxAttempts: 1,
                    attemptTimeout: .milliseconds(200),
                    sleeps: SleepRecorder()
                )
                let sqs = SQSClient(configuration: configuration, httpClient: http)
                let messages = try await sqs.receiveMessages(
                    queueURL: Self.queueURL,
                    waitTimeSeconds: 1,
                    logger: quietLogger
                )
                #expect(messages.isEmpty)
            }
        }
    }

    @Test func invalidArgumentsFailBeforeSending() async throws {
        try await FaultServer.withServer({ _, _ in .respond(.ok, body: ByteBuffer(string: "{}")) }) { server in
            try await withAWSHTTPClient { http in
                let sqs = SQSClient(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let error = await #expect(throws: SQSError.self) {
                    try await sqs.receiveMessages(queueURL: Self.queueURL, maxMessages: 11, logger: quietLogger)
                }
                #expect(error?.code == .invalidRequest)
            }
            #expect(server.requests.isEmpty)
        }
    }
}

private func md5(_ text: String) -> String {
    Insecure.MD5.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
}
