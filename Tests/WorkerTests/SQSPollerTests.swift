import AWSClients
import AsyncHTTPClient
import CompressionJob
import Foundation
import Logging
import ServiceLifecycle
import TestSupport
import Testing

@testable import Worker

/// The poller against LocalStack's SQS, each test on queues of its own, with a scripted handler at
/// the QueueMessageHandler seam.
@Suite(.enabled(if: LocalStack.shouldRun, "needs DICOM_J2K_TEST_ENDPOINT (scripts/test.sh starts LocalStack)"))
struct SQSPollerTests {
    static func options(_ queueURL: String, visibility: Int = 30) -> SQSPoller<ScriptedHandler>.Options {
        var options = SQSPoller<ScriptedHandler>.Options(queueURL: queueURL)
        options.visibilityTimeoutSeconds = visibility
        options.retryDelaySeconds = 0
        options.waitTimeSeconds = 2
        options.shutdownGrace = .seconds(1)
        return options
    }

    @Test func aCompletedMessageIsHandledOnceAndDeleted() async throws {
        let env = try LocalStack.require()
        try await withAWSHTTPClient { http in
            let sqs = SQSClient(configuration: env.configuration, httpClient: http)
            try await env.withQueue(sqs, name: "done") { queueURL, _ in
                let id = try await sqs.sendMessage(queueURL: queueURL, body: "ok", logger: quietLogger)
                let job = ScriptedHandler()
                var options = Self.options(queueURL)
                options.maxJobs = 1
                let summary = try await SQSPoller(sqs: sqs, options: options, handler: job, logger: quietLogger).poll()
                #expect(summary.stopReason == .maxJobs)
                #expect(summary.dispositions == [.completed])
                #expect(job.calls.map(\.message.messageId) == [id])
                #expect(job.calls.first?.message.receiveCount == 1)
                #expect(job.calls.first?.message.sentAt != nil)
                #expect(try await LocalStack.messageCount(sqs, queueURL) == 0)
            }
        }
    }

    @Test func aRejectedMessageIsDeletedToo() async throws {
        let env = try LocalStack.require()
        try await withAWSHTTPClient { http in
            let sqs = SQSClient(configuration: env.configuration, httpClient: http)
            try await env.withQueue(sqs, name: "rejected", maxReceiveCount: 2) { queueURL, dlqURL in
                try await sqs.sendMessage(queueURL: queueURL, body: "{broken", logger: quietLogger)
                var options = Self.options(queueURL)
                options.maxJobs = 1
                let summary = try await SQSPoller(
                    sqs: sqs,
                    options: options,
                    handler: ScriptedHandler(),
                    logger: quietLogger
                )
                .poll()
                #expect(summary.dispositions == [.rejected(reason: "the body is not a job message")])
                #expect(try await LocalStack.messageCount(sqs, queueURL) == 0)
                #expect(try await LocalStack.messageCount(sqs, try #require(dlqURL)) == 0)
            }
        }
    }

    @Test func theHeartbeatKeepsASlowJobHidden() async throws {
        let env = try LocalStack.require()
        try await withAWSHTTPClient { http in
            let sqs = SQSClient(configuration: env.configuration, httpClient: http)
            try await env.withQueue(sqs, name: "heartbeat", visibilityTimeout: 3) { queueURL, _ in
                // The job takes 8 s, almost three times the 3 s visibility.
                try await sqs.sendMessage(queueURL: queueURL, body: "sleep:8", logger: quietLogger)
                let job = ScriptedHandler()
                var options = Self.options(queueURL, visibility: 3)
                options.maxJobs = 1
                let poller = SQSPoller(sqs: sqs, options: options, handler: job, logger: quietLogger)
                let stolen = try await withThrowingTaskGroup(of: Int.self) { group in
                    group.addTask {
                        _ = try await poller.poll()
                        return 0
                    }
                    group.addTask {
                        // Another consumer polls while the job runs: it must never see the message.
                        while job.startedIDs.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
                        var seen = 0
                        let end = ContinuousClock.now + .seconds(7)
                        while ContinuousClock.now < end {
                            let messages = try await sqs.receiveMessages(
                                queueURL: queueURL,
                                waitTimeSeconds: 1,
                                visibilityTimeout: 0,
                                logger: quietLogger
                            )
                            seen += messages.count
                        }
                        return seen
                    }
                    var total = 0
                    for try await count in group { total += count }
                    return total
                }
                #expect(stolen == 0)
                #expect(job.calls.map(\.disposition) == [.completed])
                #expect(try await LocalStack.messageCount(sqs, queueURL) == 0)
            }
        }
    }

    @Test func aRetriedMessageComesBackAndLandsInTheDLQAfterMaxReceiveCount() async throws {
        let env = try LocalStack.require()
        try await withAWSHTTPClient { http in
            let sqs = SQSClient(configuration: env.configuration, httpClient: http)
            try await env.withQueue(sqs, name: "poison", maxReceiveCount: 2) { queueURL, dlqURL in
                let dlqURL = try #require(dlqURL)
                let id = try await sqs.sendMessage(queueURL: queueURL, body: "retry", logger: quietLogger)
                let job = ScriptedHandler()
                var options = Self.options(queueURL)
                options.idleExit = .seconds(3)
                let summary = try await SQSPoller(sqs: sqs, options: options, handler: job, logger: quietLogger).poll()
                // Received twice (visible again at once after each retry), then moved to the DLQ.
                #expect(summary.stopReason == .idle)
                #expect(job.calls.map(\.message.receiveCount) == [1, 2])
                #expect(summary.dispositions.count == 2)
                let dead = try await sqs.receiveMessages(queueURL: dlqURL, waitTimeSeconds: 5, logger: quietLogger)
                #expect(dead.map(\.messageID) == [id])
                #expect(try await LocalStack.messageCount(sqs, queueURL) == 0)
            }
        }
    }

    @Test func maxJobsStopsAfterNMessagesAndIdleExitAfterTheQuietTime() async throws {
        let env = try LocalStack.require()
        try await withAWSHTTPClient { http in
            let sqs = SQSClient(configuration: env.configuration, httpClient: http)
            try await env.withQueue(sqs, name: "limits") { queueURL, _ in
                for _ in 0..<3 { try await sqs.sendMessage(queueURL: queueURL, body: "ok", logger: quietLogger) }
                let job = ScriptedHandler()
                var options = Self.options(queueURL)
                options.maxJobs = 2
                let first = try await SQSPoller(sqs: sqs, options: options, handler: job, logger: quietLogger).poll()
                #expect(first.stopReason == .maxJobs)
                #expect(first.dispositions == [.completed, .completed])
                #expect(try await LocalStack.messageCount(sqs, queueURL) == 1)

                options.maxJobs = nil
                options.idleExit = .seconds(2)
                let start = ContinuousClock.now
                let second = try await SQSPoller(sqs: sqs, options: options, handler: job, logger: quietLogger).poll()
                let elapsed = ContinuousClock.now - start
                #expect(second.stopReason == .idle)
                #expect(second.dispositions == [.completed])
                #expect(job.calls.count == 3)
                #expect(elapsed >= .seconds(2))
                #expect(elapsed < .seconds(15))
            }
        }
    }

    @Test func gracefulShutdownCancelsALongJobAfterTheGraceAndReturnsTheMessage() async throws {
        let env = try LocalStack.require()
        try await withAWSHTTPClient { http in
            let sqs = SQSClient(configuration: env.configuration, httpClient: http)
            try await env.withQueue(sqs, name: "shutdown", visibilityTimeout: 60) { queueURL, _ in
                let id = try await sqs.sendMessage(queueURL: queueURL, body: "sleep:60", logger: quietLogger)
                let job = ScriptedHandler()
                var options = Self.options(queueURL, visibility: 60)
                options.retryDelaySeconds = 600  // an ordinary retry would hide it for 10 min; shutdown must not
                options.shutdownGrace = .seconds(1)
                let poller = SQSPoller(sqs: sqs, options: options, handler: job, logger: quietLogger)
                let group = ServiceGroup(services: [poller], logger: quietLogger)
                let start = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    while job.startedIDs.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
                #expect(ContinuousClock.now - start < .seconds(20))
                #expect(job.calls.map(\.cancelled) == [true])
                // Visible again at once for another worker, the second delivery.
                let again = try await sqs.receiveMessages(queueURL: queueURL, waitTimeSeconds: 2, logger: quietLogger)
                #expect(again.map(\.messageID) == [id])
                #expect(again.first?.approximateReceiveCount == 2)
            }
        }
    }

    @Test func aJobThatFinishesWithinTheGraceIsCompletedAndDeleted() async throws {
        let env = try LocalStack.require()
        try await withAWSHTTPClient { http in
            let sqs = SQSClient(configuration: env.configuration, httpClient: http)
            try await env.withQueue(sqs, name: "grace") { queueURL, _ in
                try await sqs.sendMessage(queueURL: queueURL, body: "sleep:2", logger: quietLogger)
                try await sqs.sendMessage(queueURL: queueURL, body: "ok", logger: quietLogger)
                let job = ScriptedHandler()
                var options = Self.options(queueURL)
                options.shutdownGrace = .seconds(10)
                let poller = SQSPoller(sqs: sqs, options: options, handler: job, logger: quietLogger)
                let group = ServiceGroup(services: [poller], logger: quietLogger)
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    while job.startedIDs.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
                // The running job finished; no new message was taken after the shutdown began.
                #expect(job.calls.map(\.disposition) == [.completed])
                #expect(job.calls.map(\.cancelled) == [false])
                #expect(try await LocalStack.messageCount(sqs, queueURL) == 1)
            }
        }
    }
}

/// Receive failures are retried with backoff and never end the loop. The "SQS" here is a local
/// server that answers every request 404 (no emulator needed).
@Suite struct SQSPollerFailureTests {
    @Test func aFailingQueueIsRetriedUntilTheIdleExit() async throws {
        try await ScriptedRuntimeAPI.withServer(script: []) { broken in
            var configuration = try AWSConfiguration(environment: [
                "AWS_ENDPOINT_URL": "http://\(broken.hostAndPort)", "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
            ])
            configuration.retryPolicy = .standard(maxAttempts: 1)
            try await withAWSHTTPClient { http in
                let sqs = SQSClient(configuration: configuration, httpClient: http)
                var options = SQSPoller<ScriptedHandler>.Options(
                    queueURL: "http://\(broken.hostAndPort)/000000000000/q"
                )
                options.idleExit = .seconds(2)
                options.receiveBackoff = .milliseconds(100)
                let job = ScriptedHandler()
                let summary = try await SQSPoller(sqs: sqs, options: options, handler: job, logger: quietLogger).poll()
                #expect(summary.stopReason == .idle)
                // Backoff 0.1, 0.2, 0.4, 0.8 s…: several attempts within the 2 s.
                #expect(summary.receiveFailures >= 3)
                #expect(job.calls.isEmpty)
            }
        }
    }
}
