import AWSClients
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SampleStudy
import Synchronization
import TestSupport

@testable import CompressionJob

/// The shared LocalStack that `scripts/test.sh` describes (`DICOM_J2K_TEST_ENDPOINT`,
/// `DICOM_J2K_TEST_BUCKET`); every test works under its own unique prefix. Without an endpoint
/// the suites are skipped visibly; under `CI=true` they run and fail on the missing endpoint.
struct JobLocalStack {
    let bucket: String
    let configuration: AWSConfiguration
    /// Unique per test: `job-tests/<run>/<name>/`.
    let prefix: String

    static var shouldRun: Bool { TestLocalStack.shouldRun }

    static var runID: String { TestLocalStack.runID }

    static func require(_ name: String) throws -> JobLocalStack {
        let localStack = try TestLocalStack.require()
        return JobLocalStack(
            bucket: localStack.bucket,
            configuration: localStack.configuration,
            prefix: "job-tests/\(runID)/\(name)-\(UUID().uuidString.prefix(4).lowercased())/"
        )
    }

    func withS3<T>(_ body: (S3Client) async throws -> T) async throws -> T {
        try await withAWSHTTPClient { http in try await body(S3Client(configuration: configuration, httpClient: http)) }
    }

    /// Writes `slices` sample-study slices under `prefix + folder`; returns their keys (relative to it).
    func uploadStudy(
        _ s3: S3Client,
        folder: String,
        slices: Int,
        rows: Int = 64,
        columns: Int = 64
    ) async throws -> [String] {
        let writer = try SampleStudyWriter(options: .init(slices: slices, rows: rows, columns: columns))
        var keys: [String] = []
        for index in 0..<slices {
            let name = writer.fileName(forSlice: index)
            keys.append(name)
            try await s3.putObject(
                bucket: bucket,
                key: prefix + folder + name,
                body: ByteBuffer(bytes: try writer.slice(index)),
                logger: quietLogger
            )
        }
        return keys
    }

    /// Every key under `prefix + sub`.
    func keys(_ s3: S3Client, under sub: String) async throws -> [String] {
        var keys: [String] = []
        for try await object in s3.listObjects(bucket: bucket, prefix: prefix + sub, logger: quietLogger) {
            keys.append(String(object.key.dropFirst(prefix.count)))
        }
        return keys.sorted()
    }

    func uri(_ sub: String) -> String { "s3://\(bucket)/\(prefix)\(sub)" }
}

let quietLogger = Logger(label: "job-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Collects the EMF lines a handler prints.
final class MetricLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var output: @Sendable (String) -> Void { { line in self.lines.withLock { $0.append(line) } } }
}

extension QueueMessage {
    static func job(
        _ fields: [String: Any],
        id: String = UUID().uuidString.lowercased(),
        receiveCount: Int = 1
    )
        throws -> QueueMessage
    {
        QueueMessage(
            messageId: id,
            body: String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self),
            sentAt: Date().addingTimeInterval(-2),
            receiveCount: receiveCount
        )
    }
}
