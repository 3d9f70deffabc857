import AWSClients
import AsyncHTTPClient
import Foundation
import TestSupport

/// The LocalStack that `scripts/test.sh` starts (`DICOM_J2K_TEST_ENDPOINT`, `DICOM_J2K_TEST_BUCKET`).
/// Without it the tests skip, except under `CI=true`, where they fail.
struct LocalStack {
    let endpoint: String
    let bucket: String
    let configuration: AWSConfiguration

    private static var variables: [String: String] { ProcessInfo.processInfo.environment }

    static var shouldRun: Bool { variables["DICOM_J2K_TEST_ENDPOINT"]?.isEmpty == false || TestEnvironment.isCI }

    /// Unique per test process, so queue names never collide with other runs or sessions.
    static let runID: String = {
        "w\(Int(Date().timeIntervalSince1970))-\(UUID().uuidString.prefix(6).lowercased())"
    }()

    static func require() throws -> LocalStack {
        func value(_ key: String) throws -> String {
            guard let value = variables[key], !value.isEmpty else {
                throw MissingTestDataError("\(key) (scripts/test.sh starts LocalStack and sets it)")
            }
            return value
        }
        let endpoint = try value("DICOM_J2K_TEST_ENDPOINT")
        return LocalStack(
            endpoint: endpoint,
            bucket: try value("DICOM_J2K_TEST_BUCKET"),
            configuration: try AWSConfiguration(environment: [
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_ACCESS_KEY_ID": variables["AWS_ACCESS_KEY_ID"] ?? "test",
                "AWS_SECRET_ACCESS_KEY": variables["AWS_SECRET_ACCESS_KEY"] ?? "test",
                "AWS_REGION": variables["AWS_REGION"] ?? "us-east-1",
            ])
        )
    }

    /// A queue of its own (and a DLQ when `maxReceiveCount` is given), deleted after `body`.
    func withQueue<T>(
        _ sqs: SQSClient,
        name: String,
        visibilityTimeout: Int = 30,
        maxReceiveCount: Int? = nil,
        _ body: (_ queueURL: String, _ dlqURL: String?) async throws -> T
    ) async throws -> T {
        let base = "dicom-j2k-\(Self.runID)-\(name)"
        var dlqURL: String?
        var attributes = ["VisibilityTimeout": "\(visibilityTimeout)"]
        if let maxReceiveCount {
            let dlq = try await sqs.createQueue(name: base + "-dlq", logger: quietLogger)
            dlqURL = dlq
            guard
                let arn = try await sqs.getQueueAttributes(queueURL: dlq, names: ["QueueArn"], logger: quietLogger)[
                    "QueueArn"
                ]
            else { throw MissingTestDataError("the DLQ's ARN") }
            attributes["RedrivePolicy"] = #"{"deadLetterTargetArn":"\#(arn)","maxReceiveCount":"\#(maxReceiveCount)"}"#
        }
        let queueURL = try await sqs.createQueue(name: base, attributes: attributes, logger: quietLogger)
        do {
            let result = try await body(queueURL, dlqURL)
            try? await sqs.deleteQueue(queueURL: queueURL, logger: quietLogger)
            if let dlqURL { try? await sqs.deleteQueue(queueURL: dlqURL, logger: quietLogger) }
            return result
        } catch {
            try? await sqs.deleteQueue(queueURL: queueURL, logger: quietLogger)
            if let dlqURL { try? await sqs.deleteQueue(queueURL: dlqURL, logger: quietLogger) }
            throw error
        }
    }
}
