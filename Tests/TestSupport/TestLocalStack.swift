import AWSClients
import Foundation
import Logging

/// The LocalStack (or other emulator) that `scripts/test.sh` starts and describes in the environment:
///
/// - `DICOM_J2K_TEST_ENDPOINT`: the endpoint URL (required);
/// - `DICOM_J2K_TEST_BUCKET`, `DICOM_J2K_TEST_QUEUE_URL`, `DICOM_J2K_TEST_DLQ_URL`: what
///   `localstack/init/ready.d/init-resources.py` created;
/// - `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (default `test`), `AWS_REGION` (default `us-east-1`).
///
/// Without an endpoint the integration suites are skipped visibly, except under `CI=true`, where they
/// run and fail on the missing endpoint. Each test target wraps this in its own helper (a prefix
/// and a queue of its own), so tests never share state with each other or with other runs.
public struct TestLocalStack: Sendable {
    public let endpoint: String
    public let bucket: String
    public let configuration: AWSConfiguration

    private static var variables: [String: String] { ProcessInfo.processInfo.environment }

    /// Whether the integration tests run: an endpoint is set, or CI demands them.
    public static var shouldRun: Bool {
        variables["DICOM_J2K_TEST_ENDPOINT"]?.isEmpty == false || TestEnvironment.isCI
    }

    /// Unique per test process, so reruns against the same emulator never collide.
    public static let runID: String =
        "run-\(Int(Date().timeIntervalSince1970))-\(UUID().uuidString.prefix(6).lowercased())"

    /// The environment, or a thrown ``MissingTestDataError`` naming what is missing.
    public static func require() throws -> TestLocalStack {
        let endpoint = try value("DICOM_J2K_TEST_ENDPOINT")
        return TestLocalStack(
            endpoint: endpoint,
            bucket: try value("DICOM_J2K_TEST_BUCKET"),
            configuration: try AWSConfiguration(environment: awsEnvironment(endpoint: endpoint))
        )
    }

    /// A required variable of the list above.
    public static func value(_ key: String) throws -> String {
        try TestEnvironment.require(
            variables[key].flatMap { $0.isEmpty ? nil : $0 },
            "\(key) (scripts/test.sh starts LocalStack and sets it)"
        )
    }

    /// The AWS variables for the emulator, also for a `dicom-j2k` child process.
    public static func awsEnvironment(endpoint: String) -> [String: String] {
        [
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": variables["AWS_ACCESS_KEY_ID"] ?? "test",
            "AWS_SECRET_ACCESS_KEY": variables["AWS_SECRET_ACCESS_KEY"] ?? "test",
            "AWS_REGION": variables["AWS_REGION"] ?? variables["AWS_DEFAULT_REGION"] ?? "us-east-1",
        ]
    }
}

extension TestLocalStack {
    /// A queue of the test's own named after the run and `name` (and a DLQ when `maxReceiveCount`
    /// is given), deleted after `body`: tests never touch the shared queues.
    public static func withQueue<T>(
        _ sqs: SQSClient,
        name: String,
        visibilityTimeout: Int = 30,
        maxReceiveCount: Int? = nil,
        _ body: (_ queueURL: String, _ dlqURL: String?) async throws -> T
    ) async throws -> T {
        let logger = Logger(label: "test-localstack", factory: { _ in SwiftLogNoOpLogHandler() })
        let base = "dicom-j2k-\(runID)-\(name)"
        var dlqURL: String?
        var attributes = ["VisibilityTimeout": "\(visibilityTimeout)"]
        if let maxReceiveCount {
            let dlq = try await sqs.createQueue(name: base + "-dlq", logger: logger)
            dlqURL = dlq
            guard
                let arn = try await sqs.getQueueAttributes(queueURL: dlq, names: ["QueueArn"], logger: logger)[
                    "QueueArn"
                ]
            else { throw MissingTestDataError("the DLQ's ARN") }
            attributes["RedrivePolicy"] = #"{"deadLetterTargetArn":"\#(arn)","maxReceiveCount":"\#(maxReceiveCount)"}"#
        }
        let queueURL = try await sqs.createQueue(name: base, attributes: attributes, logger: logger)
        func delete() async {
            try? await sqs.deleteQueue(queueURL: queueURL, logger: logger)
            if let dlqURL { try? await sqs.deleteQueue(queueURL: dlqURL, logger: logger) }
        }
        do {
            let result = try await body(queueURL, dlqURL)
            await delete()
            return result
        } catch {
            await delete()
            throw error
        }
    }
}

extension TestLocalStack {
    /// Messages visible plus in flight (-1 for a count SQS did not report, so an expected 0 fails).
    public static func messageCount(_ sqs: SQSClient, _ queueURL: String) async throws -> Int {
        let attributes = try await sqs.getQueueAttributes(
            queueURL: queueURL,
            names: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            logger: Logger(label: "test-localstack", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        return (Int(attributes["ApproximateNumberOfMessages"] ?? "") ?? -1)
            + (Int(attributes["ApproximateNumberOfMessagesNotVisible"] ?? "") ?? -1)
    }
}
