import AWSClients
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Testing

/// SQS against a real emulator (LocalStack, started by scripts/test.sh). Each test makes its own
/// queues, named after the run, so stray messages of earlier runs cannot interfere.
@Suite(
    .enabled(if: LocalStackEnvironment.shouldRun, "needs DICOM_J2K_TEST_ENDPOINT (scripts/test.sh starts LocalStack)")
)
struct LocalStackSQSTests {
    /// Creates a queue (and its DLQ when `maxReceiveCount` is given), runs `body`, deletes them.
    func withQueue<T>(
        _ sqs: SQSClient,
        _ env: LocalStackEnvironment,
        name: String,
        maxReceiveCount: Int? = nil,
        _ body: (_ queueURL: String, _ dlqURL: String?) async throws -> T
    ) async throws -> T {
        let base = "dicom-j2k-\(env.runID)-\(name)"
        var dlqURL: String?
        var attributes: [String: String] = [:]
        if let maxReceiveCount {
            let dlq = try await sqs.createQueue(name: base + "-dlq", logger: quietLogger)
            dlqURL = dlq
            let arn = try #require(
                try await sqs.getQueueAttributes(queueURL: dlq, names: ["QueueArn"], logger: quietLogger)["QueueArn"]
            )
            attributes["RedrivePolicy"] = #"{"deadLetterTargetArn":"\#(arn)","maxReceiveCount":"\#(maxReceiveCount)"}"#
        }
        let queueURL = try await sqs.createQueue(name: base, attributes: attributes, logger: quietLogger)
        do {
            let result = try await body(queueURL, dlqURL)
            try await sqs.deleteQueue(queueURL: queueURL, logger: quietLogger)
            if let dlqURL { try await sqs.deleteQueue(queueURL: dlqURL, logger: quietLogger) }
            return result
        } catch {
            try? await sqs.deleteQueue(queueURL: queueURL, logger: quietLogger)
            if let dlqURL { try? await sqs.deleteQueue(queueURL: dlqURL, logger: quietLogger) }
            throw error
        }
    }

    @Test func theInitScriptCreatedTheJobQueueWithItsDLQ() async throws {
        let env = try LocalStackEnvironment.require()
        try await withAWSHTTPClient { http in
            let sqs = SQSClient(configuration: env.configuration, httpClient: http)
            let name = try #require(env.queueURL.split(separator: "/").last.map(String.init))
            #expect(try await sqs.getQueueURL(name: name, logger: quietLogger) == env.queueURL)
            let attributes = try await sqs.getQueueAttributes(queueURL: env.queueURL, logger: quietLogger)
            let dlqARN = try await sqs.getQueueAttributes(
                queueURL: env.dlqURL,
                names: ["QueueArn"],
                logger: quietLogger
            )["QueueArn"]
            let policy = try #require(attributes["RedrivePolicy"])
            let decoded = try #require(try JSONSerialization.jsonObject(with: Data(policy.utf8)) as? [String: Any])
            #expect(decoded["deadLetterTargetArn"] as? String == dlqARN)
            #expect("\(decoded["maxReceiveCount"] ?? "")" == "3")

            let missing = await #expect(throws: SQSError.self) {
                try await sqs.getQueueURL(name: "dicom-j2k-no-such-queue-\(env.runID)", logger: quietLogger)
            }
            #expect(missing?.code == .queueDoesNotExist)
        }
    }

    @Test func aLongPollWakesWhenAMessageIsSent() async throws {
        let env = try LocalStackEnvironment.require()
        try await withAWSHTTPClient { http in
            let sqs = SQSClient(configuration: env.configuration, httpClient: http)
            try await withQueue(sqs, env, name: "longpoll") { queueURL, _ in
                let messages = try await withThrowingTaskGroup(of: [SQSMessage]?.self) { group in
                    group.addTask {
                        try await sqs.receiveMessages(queueURL: queueURL, waitTimeSeconds: 20, logger: quietLogger)
                    }
                    group.addTask {
                        // Give the poll time to reach the queue, then send.
                        try await Task.sleep(for: .seconds(1))
                        try await sqs.sendMessage(
                            queueURL: queueURL,
                            body: #"{"taskId":"wake-up"}"#,
                            logger: quietLogger
                        )
                        return nil
                    }
                    var received: [SQSMessage] = []
                    for try await result in group { if let result { received = result } }
                    return received
                }
                // An empty answer would mean the poll ran its 20 s without seeing the message.
                #expect(messages.map(\.body) == [#"{"taskId":"wake-up"}"#])
                #expect(messages.first?.approximateReceiveCount == 1)
                #expect(messages.first?.sentTimestamp != nil)
            }
        }
    }

    @Test func visibilityHidesAndChangeMessageVisibilityReturnsAMessage() async throws {
        let env = try LocalStackEnvironment.require()
        try await withAWSHTTPClient { http in
            let sqs = SQSClient(configuration: env.configuration, httpClient: http)
            try await withQueue(sqs, env, name: "visibility") { queueURL, _ in
                let id = try await sqs.sendMessage(queueURL: queueURL, body: "job-1", logger: quietLogger)
                let first = try await sqs.receiveMessages(
                    queueURL: queueURL,
                    waitTimeSeconds: 5,
                    visibilityTimeout: 120,
                    logger: quietLogger
                )
                #expect(first.map(\.messageID) == [id])
                // Hidden for two minutes: nothing to receive.
                #expect(
                    try await sqs.receiveMessages(queueURL: queueURL, waitTimeSeconds: 1, logger: quietLogger).isEmpty
                )
                // Visible again at once.
                try await sqs.changeMessageVisibility(
                    queueURL: queueURL,
                    receiptHandle: first[0].receiptHandle,
                    visibilityTimeout: 0,
                    logger: quietLogger
                )
                let second = try await sqs.receiveMessages(
                    queueURL: queueURL,
                    waitTimeSeconds: 5,
                    visibilityTimeout: 120,
                    logger: quietLogger
                )
                #expect(second.map(\.messageID) == [id])
                #expect(second.first?.approximateReceiveCount == 2)
                try await sqs.deleteMessage(
                    queueURL: queueURL,
                    receiptHandle: second[0].receiptHandle,
                    logger: quietLogger
                )
                #expect(
                    try await sqs.receiveMessages(queueURL: queueURL, waitTimeSeconds: 1, logger: quietLogger).isEmpty
                )
            }
        }
    }

    @Test func aMessageMovesToTheDLQAfterMaxReceiveCount() async throws {
        let env = try LocalStackEnvironment.require()
        try await withAWSHTTPClient { http in
            let sqs = SQSClient(configuration: env.configuration, httpClient: http)
            try await withQueue(sqs, env, name: "redrive", maxReceiveCount: 3) { queueURL, dlqURL in
                let dlqURL = try #require(dlqURL)
                let id = try await sqs.sendMessage(queueURL: queueURL, body: "poison", logger: quietLogger)
                for attempt in 1...3 {
                    let messages = try await sqs.receiveMessages(
                        queueURL: queueURL,
                        waitTimeSeconds: 5,
                        visibilityTimeout: 60,
                        logger: quietLogger
                    )
                    #expect(messages.map(\.messageID) == [id])
                    #expect(messages.first?.approximateReceiveCount == attempt)
                    // A failed job gives the message back at once.
                    if let message = messages.first {
                        try await sqs.changeMessageVisibility(
                            queueURL: queueURL,
                            receiptHandle: message.receiptHandle,
                            visibilityTimeout: 0,
                            logger: quietLogger
                        )
                    }
                }
                // The fourth receive would exceed maxReceiveCount: the message goes to the DLQ instead.
                #expect(
                    try await sqs.receiveMessages(queueURL: queueURL, waitTimeSeconds: 2, logger: quietLogger).isEmpty
                )
                let dead = try await sqs.receiveMessages(queueURL: dlqURL, waitTimeSeconds: 5, logger: quietLogger)
                #expect(dead.map(\.body) == ["poison"])
                #expect(dead.map(\.messageID) == [id])
            }
        }
    }

    @Test func aStaleReceiptHandleIsATypedError() async throws {
        let env = try LocalStackEnvironment.require()
        try await withAWSHTTPClient { http in
            let sqs = SQSClient(configuration: env.configuration, httpClient: http)
            try await withQueue(sqs, env, name: "receipt") { queueURL, _ in
                let error = await #expect(throws: SQSError.self) {
                    try await sqs.changeMessageVisibility(
                        queueURL: queueURL,
                        receiptHandle: "garbage",
                        visibilityTimeout: 0,
                        logger: quietLogger
                    )
                }
                #expect(error?.code == .invalidReceiptHandle)
            }
        }
    }
}
