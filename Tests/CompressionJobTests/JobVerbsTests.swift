import AWSClients
import Foundation
import TestSupport
import Testing
import Transcoder

@testable import CompressionJob

/// `enqueue`, `status`, `results`, `queue` and `run` on s3:// as processes, against LocalStack and a
/// queue of the test's own.
@Suite(
    .enabled(if: JobLocalStack.shouldRun, "needs DICOM_J2K_TEST_ENDPOINT (scripts/test.sh starts LocalStack)")
)
struct JobVerbsTests {
    @Test func enqueueStatusResultsQueueAndRunOnS3() async throws {
        let env = try JobLocalStack.require("verbs")
        let tool = try #require(try TestEnvironment.dicomJ2KExecutable(), "the dicom-j2k executable")
        let variables = ProcessInfo.processInfo.environment
        let environment = [
            "AWS_ENDPOINT_URL": variables["DICOM_J2K_TEST_ENDPOINT"] ?? "",
            "AWS_ACCESS_KEY_ID": variables["AWS_ACCESS_KEY_ID"] ?? "test",
            "AWS_SECRET_ACCESS_KEY": variables["AWS_SECRET_ACCESS_KEY"] ?? "test",
            "AWS_REGION": variables["AWS_REGION"] ?? "us-east-1",
            "RESULTS_URI": env.uri("results/"),
        ]
        func json(_ arguments: [String]) throws -> [String: Any] {
            let run = try runProcess(tool, arguments, environment: environment)
            #expect(run.status == 0, "\(arguments.first ?? ""): \(run.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        }
        try await withAWSHTTPClient { http in
            let s3 = S3Client(configuration: env.configuration, httpClient: http)
            let sqs = SQSClient(configuration: env.configuration, httpClient: http)
            let queue = try await sqs.createQueue(name: "job-verbs-\(UUID().uuidString.prefix(8))", logger: quietLogger)
            defer { Task { try? await sqs.deleteQueue(queueURL: queue, logger: quietLogger) } }
            _ = try await env.uploadStudy(s3, folder: "in/", slices: 3)

            let receipt = try json([
                "enqueue", "--source", env.uri("in/"), "--target", env.uri("out/"), "--rate", "10", "--task-id",
                "verbs-1", "--queue-url", queue,
            ])
            #expect(receipt["taskId"] as? String == "verbs-1")
            #expect((receipt["plannedTarget"] as? String)?.hasPrefix(env.uri("out/in-rate10-")) == true)
            #expect(receipt["result"] as? String == env.uri("results/verbs-1.json"))
            let queued = try json(["status", "verbs-1"])
            #expect(queued["status"] as? String == "queued")
            #expect(queued["queuePosition"] as? Int == 0)

            // The message as the worker receives it.
            let received = try #require(
                try await sqs.receiveMessages(queueURL: queue, waitTimeSeconds: 5, logger: quietLogger).first
            )
            var configuration = try WorkerConfiguration(environment: environment)
            configuration.workerThreads = 2
            let handler = CompressionJobHandler(
                configuration: configuration,
                mode: .poll,
                s3: s3,
                version: "test",
                metricsOutput: MetricLines().output
            )
            let outcome = await handler.process(
                QueueMessage(
                    messageId: received.messageID,
                    body: received.body,
                    sentAt: received.sentTimestamp,
                    receiveCount: received.approximateReceiveCount ?? 1
                ),
                logger: quietLogger
            )
            #expect(outcome.disposition == .completed)
            #expect(outcome.result?.createdAt != nil)
            #expect((outcome.result?.compressionStats?.queueWaitTime ?? -1) >= 0)

            let completed = try json(["status", "verbs-1"])
            #expect(completed["status"] as? String == "completed")
            #expect(completed["queuePosition"] == nil)

            let rows = try runProcess(tool, ["results", "--json"], environment: environment)
            #expect(rows.status == 0, "\(rows.stderr)")
            let table = try #require(try JSONSerialization.jsonObject(with: Data(rows.stdout.utf8)) as? [[String: Any]])
            #expect(table.count == 1)
            #expect(table.first?["library"] as? String == "openjpeg")
            #expect(table.first?["rate"] as? Double == 10)
            #expect(table.first?["count"] as? Int == 1)
            let text = try runProcess(tool, ["results"], environment: environment)
            #expect(text.stdout.contains("openjpeg"))

            let depth = try json(["queue", "--queue-url", queue])
            #expect(depth["depth"] as? Int == 0)
            #expect(depth["inFlight"] as? Int == 1)

            // `run` on S3 prefixes: the handler's path without a queue.
            let run = try runProcess(
                tool,
                ["run", "--source", env.uri("in/"), "--target", env.uri("out2/"), "--threads", "2"],
                environment: environment
            )
            #expect(run.status == 0, "\(run.stderr)")
            let result = try JobResult.makeDecoder().decode(JobResult.self, from: Data(run.stdout.utf8))
            #expect(result.status == .completed)
            #expect(result.worker.mode == .local)
            #expect(result.s3CompressedPath?.hasPrefix(env.uri("out2/in-rate100-")) == true)
            #expect(run.stderr.contains("\"_aws\""))
        }
    }
}
