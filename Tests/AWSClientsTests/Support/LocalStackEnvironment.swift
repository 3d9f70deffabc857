import AWSClients
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport

/// The LocalStack (or other emulator) that `scripts/test.sh` starts and describes in the environment:
///
/// - `DICOM_J2K_TEST_ENDPOINT`: the endpoint URL (required);
/// - `DICOM_J2K_TEST_BUCKET`, `DICOM_J2K_TEST_QUEUE_URL`, `DICOM_J2K_TEST_DLQ_URL`: what
///   `localstack/init/ready.d/init-resources.py` created;
/// - `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (default `test`), `AWS_REGION` (default `us-east-1`).
///
/// Without an endpoint the integration tests are skipped, except under `CI=true`, where they run
/// and fail on the missing endpoint.
struct LocalStackEnvironment {
    let endpoint: String
    let bucket: String
    let queueURL: String
    let dlqURL: String
    let configuration: AWSConfiguration
    /// Unique per test process, so reruns against the same emulator never collide.
    let runID: String

    private static var variables: [String: String] { ProcessInfo.processInfo.environment }

    /// Whether the integration tests run: an endpoint is set, or CI demands them.
    static var shouldRun: Bool { variables["DICOM_J2K_TEST_ENDPOINT"]?.isEmpty == false || TestEnvironment.isCI }

    static let runID: String = {
        let stamp = Int(Date().timeIntervalSince1970)
        return "run-\(stamp)-\(UUID().uuidString.prefix(6).lowercased())"
    }()

    /// The environment, or a thrown ``MissingTestDataError`` naming what is missing.
    static func require() throws -> LocalStackEnvironment {
        let variables = Self.variables
        func value(_ key: String) throws -> String {
            try TestEnvironment.require(
                variables[key].flatMap { $0.isEmpty ? nil : $0 },
                "\(key) (scripts/test.sh starts LocalStack and sets it)"
            )
        }
        let endpoint = try value("DICOM_J2K_TEST_ENDPOINT")
        let configuration = try AWSConfiguration(environment: [
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": variables["AWS_ACCESS_KEY_ID"] ?? "test",
            "AWS_SECRET_ACCESS_KEY": variables["AWS_SECRET_ACCESS_KEY"] ?? "test",
            "AWS_REGION": variables["AWS_REGION"] ?? variables["AWS_DEFAULT_REGION"] ?? "us-east-1",
        ])
        return LocalStackEnvironment(
            endpoint: endpoint,
            bucket: try value("DICOM_J2K_TEST_BUCKET"),
            queueURL: try value("DICOM_J2K_TEST_QUEUE_URL"),
            dlqURL: try value("DICOM_J2K_TEST_DLQ_URL"),
            configuration: configuration,
            runID: runID
        )
    }
}
