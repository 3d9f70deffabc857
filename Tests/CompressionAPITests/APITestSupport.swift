import AWSClients
import AsyncHTTPClient
import CompressionAPI
import CompressionJob
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SampleStudy
import TestSupport
import Testing

let quietLogger: Logger = {
    var logger = Logger(label: "api-test")
    logger.logLevel = .critical
    return logger
}()

/// The LocalStack that `scripts/test.sh` starts; each test works under a prefix and on a queue of its own.
struct APILocalStack {
    let endpoint: String
    let bucket: String
    let configuration: AWSConfiguration
    /// `api-tests/<run>/<name>/` in the shared bucket.
    let prefix: String

    static var shouldRun: Bool { TestLocalStack.shouldRun }

    static var runID: String { TestLocalStack.runID }

    static func require(_ name: String) throws -> APILocalStack {
        let localStack = try TestLocalStack.require()
        return APILocalStack(
            endpoint: localStack.endpoint,
            bucket: localStack.bucket,
            configuration: localStack.configuration,
            prefix: "api-tests/\(runID)/\(name)/"
        )
    }

    static func awsEnvironment(_ endpoint: String) -> [String: String] {
        TestLocalStack.awsEnvironment(endpoint: endpoint)
    }

    func uri(_ sub: String) -> String { "s3://\(bucket)/\(prefix)\(sub)" }

    /// The API's (and the worker's) configuration: results under the prefix, this bucket only.
    func workerConfiguration(queueURL: String, apiKey: String? = nil) throws -> WorkerConfiguration {
        var configuration = try WorkerConfiguration(environment: [
            "QUEUE_URL": queueURL, "RESULTS_URI": uri("results/"), "ALLOWED_BUCKETS": bucket,
            "DEFAULT_TARGET_URI": uri("out/"), "WORKER_THREADS": "2",
        ])
        configuration.apiKey = apiKey
        return configuration
    }

    /// The worker's environment for the `dicom-j2k` binary.
    func processEnvironment(queueURL: String) -> [String: String] {
        Self.awsEnvironment(endpoint).merging([
            "QUEUE_URL": queueURL, "RESULTS_URI": uri("results/"), "ALLOWED_BUCKETS": bucket,
            "WORKER_THREADS": "2", "WORKER_VISIBILITY_TIMEOUT_SECONDS": "30", "WORKER_RETRY_DELAY_SECONDS": "0",
            "LOG_LEVEL": "warning",
        ]) { $1 }
    }

    /// S3 and SQS on one HTTP client, and a queue of the test's own (deleted afterwards).
    func withClientsAndQueue<T>(
        _ name: String,
        _ body: (_ s3: S3Client, _ sqs: SQSClient, _ http: HTTPClient, _ queueURL: String) async throws -> T
    ) async throws -> T {
        try await withAWSHTTPClient { http in
            let s3 = S3Client(configuration: configuration, httpClient: http)
            let sqs = SQSClient(configuration: configuration, httpClient: http)
            return try await TestLocalStack.withQueue(sqs, name: "api-" + name) { queueURL, _ in
                try await body(s3, sqs, http, queueURL)
            }
        }
    }

    func uploadStudy(_ s3: S3Client, folder: String, slices: Int) async throws {
        let writer = try SampleStudyWriter(options: .init(slices: slices, rows: 64, columns: 64))
        for index in 0..<slices {
            try await s3.putObject(
                bucket: bucket,
                key: prefix + folder + writer.fileName(forSlice: index),
                body: ByteBuffer(bytes: try writer.slice(index)),
                logger: quietLogger
            )
        }
    }

    func keys(_ s3: S3Client, under sub: String) async throws -> [String] {
        var keys: [String] = []
        for try await object in s3.listObjects(bucket: bucket, prefix: prefix + sub, logger: quietLogger) {
            keys.append(String(object.key.dropFirst(prefix.count)))
        }
        return keys.sorted()
    }
}

/// One HTTP exchange's outcome, the same shape for both transports.
struct Answer: Equatable, CustomStringConvertible {
    var status: Int
    var headers: [String: String]
    var body: String

    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
    var errorField: String? { (json?["error"] as? [String: Any])?["field"] as? String }
    var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }
    var description: String { "\(status) \(body.prefix(400))" }
}

/// Real HTTP to the server on `port` (no redirects followed).
struct APIClient {
    let http: HTTPClient
    let port: Int

    func send(
        _ method: HTTPMethodName,
        _ pathAndQuery: String,
        headers: [String: String] = [:],
        body: String? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(pathAndQuery)")
        request.method = .init(rawValue: method.rawValue)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return Answer(status: Int(response.status.code), headers: fields, body: String(buffer: bytes))
    }
}

enum HTTPMethodName: String { case GET, HEAD, POST, DELETE, PUT }

/// An HTTP client that does not follow redirects (to see `/download`'s 302).
func withPlainHTTPClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
    let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)))
    )
    do {
        let value = try await body(client)
        try await client.shutdown()
        return value
    } catch {
        try? await client.shutdown()
        throw error
    }
}
