import AWSClients
import CompressionJob
import Foundation
import JPEG2000
import Logging

/// What the HTTP API does, free of any transport: each route's logic over the S3 and SQS clients,
/// the stored results and the worker's configuration. ``makeAPIRouter(service:context:)`` wires it
/// to Hummingbird; the same router serves `serve` and API Gateway events.
package struct APIService: Sendable {
    package var configuration: WorkerConfiguration
    package var s3: S3Client
    package var sqs: SQSClient
    /// Recorded in the `queued` result documents.
    package var version: String
    package var host: String
    /// Seconds a `/download` URL is valid.
    package var downloadExpiry = 300
    /// The largest request body read (a job request is a few hundred bytes).
    package var maxBodyBytes = 64 * 1024
    /// How often the dashboard reloads itself, seconds.
    package var dashboardRefreshSeconds = 15

    package init(configuration: WorkerConfiguration, s3: S3Client, sqs: SQSClient, version: String, host: String) {
        self.configuration = configuration
        self.s3 = s3
        self.sqs = sqs
        self.version = version
        self.host = host
    }

    /// Where `GET` routes read results: `RESULTS_URI`, else `<DEFAULT_TARGET_URI>results/`.
    package var resultsPrefix: S3URI? { configuration.resultsLocation(forTarget: configuration.defaultTargetURI) }

    private func store(_ logger: Logger) throws(APIError) -> S3ResultStore {
        guard let prefix = resultsPrefix else {
            throw .unavailable("no results location: set RESULTS_URI (or DEFAULT_TARGET_URI)")
        }
        return S3ResultStore(s3: s3, prefix: prefix, logger: logger)
    }

    private func loadAll(_ logger: Logger) async throws(APIError) -> [JobResult] {
        do {
            return try await store(logger).loadAll()
        } catch let error as APIError {
            throw error
        } catch let error as JobError {
            throw APIError(error)
        } catch {
            throw .unavailable("the results cannot be read")
        }
    }

    // MARK: - POST /compress-dicom

    /// The job fields as the message parser reads them: from the query string (typed by field), or
    /// from a JSON object body; not both.
    package func messageBody(query: String?, body: [UInt8]) throws(APIError) -> String {
        let parameters = try QueryString.parse(query)
        let hasBody = body.contains { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        if hasBody {
            guard parameters.isEmpty else {
                throw .invalidRequest("give the job either as query parameters or as a JSON body, not both")
            }
            guard let text = String(validating: body, as: UTF8.self) else {
                throw .invalidRequest("the body is not UTF-8 JSON", field: "body")
            }
            guard (try? JSONSerialization.jsonObject(with: Data(body))) is [String: Any] else {
                throw .invalidRequest("the body is not a JSON object", field: "body")
            }
            return text
        }
        var fields: [String: Any] = [:]
        for (name, value) in parameters {
            guard fields[name] == nil else { throw .invalidRequest("given more than once", field: name) }
            fields[name] = try Self.typedQueryValue(name: name, value: value)
        }
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: .sortedKeys)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Query values are text: the job's numbers and booleans are read here (exactly, no fallback),
    /// everything else stays text for the parser to judge.
    static func typedQueryValue(name: String, value: String) throws(APIError) -> Any {
        switch name {
        case "compressionRate", "targetPSNR", "maxError":
            guard let number = Double(value), number.isFinite else {
                throw .invalidRequest("must be a number", field: name)
            }
            return number
        case "anonymize", "overwriteExisting":
            switch value {
            case "true": return true
            case "false": return false
            default: throw .invalidRequest("must be true or false", field: name)
            }
        default:
            return value
        }
    }

    /// The prototype's 202 answer.
    package struct Accepted: Encodable, Sendable {
        package struct SourceInfo: Encodable, Sendable {
            package var totalFiles: Int
            /// Bytes.
            package var totalSize: Int
            /// `196.9MB`.
            package var totalSizeFormatted: String
        }
        package var success = true
        package var taskId: String
        package var status = "queued"
        /// `180s`, or `unknown` before any job completed.
        package var estimatedTime: String
        /// Seconds until it should be done (wait + one job at the recent mean); absent before any job completed.
        package var estimatedSeconds: Double?
        package var s3SourceUri: String
        /// Where the ZIP will be (`<start>` stands for the start time in a generated name).
        package var s3TargetPath: String
        package var sourceInfo: SourceInfo
        package var options: JobOptions
        /// This task's route.
        package var statusUrl: String
        /// The result document.
        package var resultUri: String
        package var messageId: String
    }

    package func submit(query: String?, body: [UInt8], logger: Logger) async throws(APIError) -> APIResponse {
        guard let queueURL = configuration.queueURL else { throw .unavailable("QUEUE_URL is not set") }
        let message = try messageBody(query: query, body: body)
        let request: JobRequest
        do {
            request = try JobEnqueuer.validate(body: message, configuration: configuration)
        } catch {
            throw APIError(error)
        }
        // The estimate comes before this job's own queued document exists.
        let history = (try? await loadAll(logger)) ?? []
        let enqueuer = JobEnqueuer(
            configuration: configuration,
            s3: s3,
            sqs: sqs,
            queueURL: queueURL,
            worker: WorkerInfo(
                version: version,
                openjpegVersion: JPEG2000Library.openJPEGVersion,
                mode: .local,
                host: host,
                attempt: 0
            )
        )
        let receipt: JobEnqueuer.Receipt
        do {
            receipt = try await enqueuer.submit(request, logger: logger)
        } catch {
            throw APIError(error)
        }
        logger.info("job enqueued", metadata: ["taskId": "\(request.taskId)"])
        let mean = JobQueries.meanProcessingTime(history)
        let ahead = history.filter { $0.status == .queued || $0.status == .processing }.count
        let estimate = mean.map { (Double(ahead) + 1) * $0 }
        let accepted = Accepted(
            taskId: request.taskId,
            estimatedTime: estimate.map(DisplayFormat.seconds) ?? "unknown",
            estimatedSeconds: estimate,
            s3SourceUri: request.source.description,
            s3TargetPath: receipt.plannedTarget,
            sourceInfo: .init(
                totalFiles: receipt.source.totalFiles,
                totalSize: receipt.source.totalSize,
                totalSizeFormatted: DisplayFormat.bytes(receipt.source.totalSize)
            ),
            options: request.options,
            statusUrl: "/compress-dicom/" + request.taskId,
            resultUri: receipt.result.description,
            messageId: receipt.messageId
        )
        return .json(accepted, status: 202)
    }

    // MARK: - GET routes

    package func task(_ taskId: String, logger: Logger) async throws(APIError) -> APIResponse {
        guard JobRequest.isValidTaskId(taskId) else {
            throw .invalidRequest("must be 1 to 128 of A-Z a-z 0-9 . _ -", field: "taskId")
        }
        let store = try store(logger)
        do {
            guard let result = try await store.load(taskId: taskId) else {
                throw APIError.notFound("no task \(taskId)")
            }
            return .json(try await TaskStatus(result) { () throws(JobError) in try await store.loadAll() })
        } catch let error as APIError {
            throw error
        } catch let error as JobError {
            throw APIError(error)
        } catch {
            throw .serverFault
        }
    }

    /// Result documents without their `files[]` (a study lists thousands), newest first.
    package struct ResultList: Encodable, Sendable {
        package var success = true
        package var total: Int
        package var count: Int
        package var results: [ResultSummary]
    }

    /// A result document without `files[]`.
    package struct ResultSummary: Encodable, Sendable {
        package var result: JobResult
        package func encode(to encoder: any Encoder) throws {
            try SummaryEncoding(result: result).encode(to: encoder)
        }
    }

    package func results(query: String?, logger: Logger) async throws(APIError) -> APIResponse {
        var limit = 100
        for (name, value) in try QueryString.parse(query) {
            guard name == "limit" else { throw .invalidRequest("unknown parameter", field: String(name.prefix(64))) }
            guard let number = Int(value), (1...1000).contains(number) else {
                throw .invalidRequest("must be a whole number from 1 to 1000", field: "limit")
            }
            limit = number
        }
        let all = Self.newestFirst(try await loadAll(logger))
        let shown = all.prefix(limit).map { ResultSummary(result: $0) }
        return .json(ResultList(total: all.count, count: shown.count, results: Array(shown)))
    }

    package struct Comparison: Encodable, Sendable {
        package var success = true
        /// Completed jobs per library, codec and rate (the `results` verb's table).
        package var comparison: [JobQueries.ComparisonRow]
    }

    package func benchmark(logger: Logger) async throws(APIError) -> APIResponse {
        .json(Comparison(comparison: JobQueries.comparison(try await loadAll(logger))))
    }

    package func queue(logger: Logger) async throws(APIError) -> APIResponse {
        .json(try await queueSnapshot(logger: logger))
    }

    private func queueSnapshot(logger: Logger) async throws(APIError) -> QueueSnapshot {
        guard let queueURL = configuration.queueURL else { throw .unavailable("QUEUE_URL is not set") }
        do {
            return try await QueueSnapshot.read(
                queueURL: queueURL,
                sqs: sqs,
                results: try? store(logger),
                logger: logger
            )
        } catch {
            logger.warning("queue attributes unavailable", metadata: ["error": "\(error)"])
            throw .unavailable("the queue cannot be read")
        }
    }

    // MARK: - GET /download

    /// Buckets `/download` may presign: `ALLOWED_BUCKETS`, or (when that allows any) the buckets
    /// this deployment is configured with, so an open allow-list never turns into presigning any bucket.
    package var downloadBuckets: Set<String> {
        if !configuration.allowedBuckets.isEmpty { return configuration.allowedBuckets }
        return Set(
            [configuration.defaultSourceURI, configuration.defaultTargetURI, configuration.resultsURI].compactMap {
                $0?.bucket
            }
        )
    }

    package func download(query: String?, logger: Logger) async throws(APIError) -> APIResponse {
        var uriText: String?
        var filename: String?
        for (name, value) in try QueryString.parse(query) {
            switch name {
            case "s3Uri" where uriText == nil: uriText = value
            case "filename" where filename == nil: filename = value
            case "s3Uri", "filename": throw .invalidRequest("given more than once", field: name)
            default: throw .invalidRequest("unknown parameter", field: String(name.prefix(64)))
            }
        }
        guard let uriText else { throw .invalidRequest("missing", field: "s3Uri") }
        guard let uri = S3URI(uriText), !uri.key.isEmpty, !uri.key.hasSuffix("/"), uri.key.utf8.count <= 1024,
            !uri.key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else {
            throw .invalidRequest("must be an s3://bucket/key URI of an object", field: "s3Uri")
        }
        guard downloadBuckets.contains(uri.bucket) else {
            throw .invalidRequest("bucket \(uri.bucket) is not one this API serves", field: "s3Uri")
        }
        do {
            _ = try await s3.headObject(bucket: uri.bucket, key: uri.key, logger: logger)
        } catch let error as S3Error where error.code == .notFound || error.code == .accessDenied {
            // Without ListBucket on the prefix S3 answers a missing object with 403: the same to the client.
            throw .notFound("no such object that this API may read")
        } catch let error as S3Error where error.code == .invalidRequest {
            throw .invalidRequest("S3 does not accept this key", field: "s3Uri")
        } catch {
            throw .unavailable("the object cannot be checked")
        }
        let name = Self.sanitizedFilename(filename ?? String(uri.key.split(separator: "/").last ?? "download"))
        do {
            let url = try await s3.presignedGetURL(
                bucket: uri.bucket,
                key: uri.key,
                query: [("response-content-disposition", "attachment; filename=\"\(name)\"")],
                expires: downloadExpiry,
                logger: logger
            )
            return .redirect(to: url)
        } catch {
            logger.warning("presigning failed", metadata: ["error": "\(error)"])
            throw .unavailable("no download URL can be made")
        }
    }

    /// A file name safe inside `Content-Disposition`: letters, digits, `.`, `_`, `-` kept, anything
    /// else becomes `_`, at most 128 characters, never empty or dots only.
    package static func sanitizedFilename(_ name: String) -> String {
        let kept = String(
            name.unicodeScalars.prefix(128).map { scalar -> Character in
                let ok =
                    scalar.isASCII
                    && (CharacterSet.alphanumerics.contains(scalar) || scalar == "." || scalar == "_" || scalar == "-")
                return ok ? Character(scalar) : "_"
            }
        )
        return kept.allSatisfy { $0 == "." || $0 == "_" } ? "download.zip" : kept
    }

    // MARK: - GET /, /healthz

    package func health() -> APIResponse {
        struct Health: Encodable {
            var status = "ok"
            var version: String
        }
        return .json(Health(version: version))
    }

    package func dashboard(logger: Logger) async -> APIResponse {
        let results = (try? await loadAll(logger)) ?? []
        // The queue's counts, with the results already read (not a second pass over the store).
        var queue: QueueSnapshot?
        if let queueURL = configuration.queueURL,
            let attributes = try? await sqs.getQueueAttributes(
                queueURL: queueURL,
                names: QueueSnapshot.attributeNames,
                logger: logger
            )
        {
            queue = QueueSnapshot(attributes: attributes, results: results, now: Date())
        }
        let model = DashboardModel(
            queue: queue,
            jobs: Array(Self.newestFirst(results).prefix(50)),
            comparison: JobQueries.comparison(results),
            resultLocation: { taskId in "/compress-dicom/" + taskId },
            downloadLink: { result in
                guard result.status == .completed, let path = result.s3CompressedPath else { return nil }
                return "/download?s3Uri=" + QueryString.encode(path)
            },
            generatedAt: Date(),
            refreshSeconds: dashboardRefreshSeconds
        )
        return .html(DashboardPage.render(model))
    }

    static func newestFirst(_ results: [JobResult]) -> [JobResult] {
        results.sorted { ($0.createdAt ?? $0.timestamp, $0.taskId) > ($1.createdAt ?? $1.timestamp, $1.taskId) }
    }
}

/// Encodes a result like ``JobResult`` but without `files`.
private struct SummaryEncoding: Encodable {
    var result: JobResult
    private enum Keys: String, CodingKey {
        case success, taskId, status, timestamp, createdAt, startedAt, completedAt, s3SourceUri, s3CompressedPath
        case compressionStats, quality, options, error, worker, fileCount
    }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(result.success, forKey: .success)
        try c.encode(result.taskId, forKey: .taskId)
        try c.encode(result.status, forKey: .status)
        try c.encode(result.timestamp, forKey: .timestamp)
        try c.encodeIfPresent(result.createdAt, forKey: .createdAt)
        try c.encodeIfPresent(result.startedAt, forKey: .startedAt)
        try c.encodeIfPresent(result.completedAt, forKey: .completedAt)
        try c.encode(result.s3SourceUri, forKey: .s3SourceUri)
        try c.encodeIfPresent(result.s3CompressedPath, forKey: .s3CompressedPath)
        try c.encodeIfPresent(result.compressionStats, forKey: .compressionStats)
        try c.encodeIfPresent(result.quality, forKey: .quality)
        try c.encode(result.options, forKey: .options)
        try c.encodeIfPresent(result.error, forKey: .error)
        try c.encode(result.worker, forKey: .worker)
        try c.encode(result.files.count, forKey: .fileCount)
    }
}

/// `application/x-www-form-urlencoded` query strings: `+` is a space, `%XX` a byte of UTF-8.
package enum QueryString {
    /// The pairs in order (duplicates kept); an empty or missing query is no pairs.
    package static func parse(_ query: String?) throws(APIError) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        guard query.utf8.count <= 16 * 1024 else { throw .invalidRequest("the query string is too long") }
        var pairs: [(name: String, value: String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(pieces[0]), !name.isEmpty else {
                throw .invalidRequest("a query parameter's name cannot be read")
            }
            guard let value = decode(pieces.count > 1 ? pieces[1] : "") else {
                throw .invalidRequest("cannot be percent-decoded", field: String(name.prefix(64)))
            }
            pairs.append((name, value))
        }
        return pairs
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// Percent-encodes a value for a query string (unreserved characters kept).
    package static func encode(_ value: String) -> String {
        let allowed = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
        )
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
