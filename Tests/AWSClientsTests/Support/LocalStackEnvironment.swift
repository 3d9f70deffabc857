import AWSClients
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport

/// The shared emulator of `scripts/test.sh` (TestSupport's ``TestLocalStack``) with the queue and
/// DLQ its init script created, which the client tests use as they are.
struct LocalStackEnvironment {
    let endpoint: String
    let bucket: String
    let queueURL: String
    let dlqURL: String
    let configuration: AWSConfiguration
    /// Unique per test process, so reruns against the same emulator never collide.
    let runID: String

    static var shouldRun: Bool { TestLocalStack.shouldRun }

    /// The shared emulator plus the queues `localstack/init` created.
    static func require() throws -> LocalStackEnvironment {
        let localStack = try TestLocalStack.require()
        return LocalStackEnvironment(
            endpoint: localStack.endpoint,
            bucket: localStack.bucket,
            queueURL: try TestLocalStack.value("DICOM_J2K_TEST_QUEUE_URL"),
            dlqURL: try TestLocalStack.value("DICOM_J2K_TEST_DLQ_URL"),
            configuration: localStack.configuration,
            runID: TestLocalStack.runID
        )
    }
}
