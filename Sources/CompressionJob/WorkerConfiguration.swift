import AWSClients
import Foundation
import Logging

/// The worker's settings, read once at start from the environment (docs/contracts.md,
/// "Configuration"). The AWS side (region, endpoints, credentials) is ``AWSConfiguration``.
///
/// | variable | default | meaning |
/// |---|---|---|
/// | `QUEUE_URL` | – | the job queue (`poll`, `enqueue`, `queue`) |
/// | `DEFAULT_SOURCE_URI` | – | `s3SourceUri` when a message has none |
/// | `DEFAULT_TARGET_URI` | – | `s3TargetUri` when a message has none |
/// | `RESULTS_URI` | `<target>results/` | where `{taskId}.json` goes (`s3://bucket/prefix/`) |
/// | `ALLOWED_BUCKETS` | any | comma-separated buckets a job may name (source, target, results) |
/// | `WORKER_THREADS` | cores | transcoding threads (and `gdcmconv` processes) per job, 1…256 |
/// | `MAX_FILES_PER_JOB` | 10000 | a job listing more files is refused |
/// | `MAX_JOB_BYTES` | 21474836480 (20 GiB) | a job listing more bytes is refused |
/// | `MAX_FILE_BYTES` | 268435456 (256 MiB) | a job listing a larger file is refused |
/// | `MAX_FRAMES_PER_FILE` | 10000 | frames per file; a file with more is copied with a reason |
/// | `UPLOAD_PART_BYTES` | 8388608 (8 MiB) | multipart part size, 5 MiB…5 GiB |
/// | `METRICS_NAMESPACE` | `DicomCompression` | the EMF namespace |
/// | `LOG_LEVEL` | `info` | trace, debug, info, notice, warning, error, critical |
/// | `API_KEY` | – | the HTTP API's key (`serve`) |
/// | `WORKER_VISIBILITY_TIMEOUT_SECONDS` | 60 | `poll`: visibility a received message gets; the heartbeat renews it every half of it |
/// | `WORKER_SHUTDOWN_GRACE_SECONDS` | 20 | `poll`: after SIGTERM/SIGINT, how long the current job may still run |
/// | `WORKER_RETRY_DELAY_SECONDS` | 10 | `poll`: after a retryable failure, how long the message stays hidden |
/// | `WORKER_DEADLINE_MARGIN_SECONDS` | 5 | `lambda`: a running job is cancelled this long before the deadline |
/// | `WORKER_MIN_JOB_SECONDS` | 10 | `lambda`: a record starts only if this (or the longest record so far) plus the margin is left |
public struct WorkerConfiguration: Sendable, Equatable {
    public var queueURL: String?
    public var defaultSourceURI: S3URI?
    public var defaultTargetURI: S3URI?
    /// `nil`: next to the target, `<target prefix>results/`.
    public var resultsURI: S3URI?
    /// Empty: every bucket is allowed.
    public var allowedBuckets: Set<String>
    public var workerThreads: Int
    public var maxFilesPerJob: Int
    public var maxJobBytes: Int
    public var maxFileBytes: Int
    public var maxFramesPerFile: Int
    public var uploadPartBytes: Int
    public var metricsNamespace: String
    public var logLevel: Logger.Level
    public var apiKey: String?
    /// How the runtimes (`poll`, `lambda`) treat messages and time.
    public var runtime: RuntimeSettings

    /// The `WORKER_*` settings of the runtimes (docs/runtimes.md, "Settings"), in seconds.
    public struct RuntimeSettings: Sendable, Equatable {
        public var visibilityTimeoutSeconds = 60
        public var shutdownGraceSeconds = 20
        public var retryDelaySeconds = 10
        public var deadlineMarginSeconds = 5
        public var minimumJobSeconds = 10

        public init() {}
    }

    /// Every default, no queue and no default URIs.
    public init() {
        queueURL = nil
        defaultSourceURI = nil
        defaultTargetURI = nil
        resultsURI = nil
        allowedBuckets = []
        workerThreads = max(1, ProcessInfo.processInfo.activeProcessorCount)
        maxFilesPerJob = 10_000
        maxJobBytes = 20 * 1024 * 1024 * 1024
        maxFileBytes = 256 * 1024 * 1024
        maxFramesPerFile = 10_000
        uploadPartBytes = 8 * 1024 * 1024
        metricsNamespace = "DicomCompression"
        logLevel = .info
        runtime = RuntimeSettings()
        apiKey = nil
    }

    /// Reads the variables of the table above.
    /// - Parameter environment: usually `ProcessInfo.processInfo.environment`; injected for tests.
    /// - Throws: ``WorkerConfigurationError`` naming the variable and what is wrong with it.
    public init(environment: [String: String]) throws(WorkerConfigurationError) {
        self.init()
        func value(_ key: String) -> String? {
            guard let value = environment[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
                return nil
            }
            return value
        }
        func uri(_ key: String) throws(WorkerConfigurationError) -> S3URI? {
            guard let text = value(key) else { return nil }
            guard let uri = S3URI(text), !uri.key.hasPrefix("/") else {
                throw WorkerConfigurationError(variable: key, value: text, expected: "an s3://bucket/prefix/ URI")
            }
            // A prefix is a folder: `s3://b/p` means `s3://b/p/`.
            return uri.key.isEmpty || uri.key.hasSuffix("/") ? uri : S3URI(bucket: uri.bucket, key: uri.key + "/")
        }
        func integer(_ key: String, _ range: ClosedRange<Int>) throws(WorkerConfigurationError) -> Int? {
            guard let text = value(key) else { return nil }
            guard let number = Int(text), range.contains(number) else {
                throw WorkerConfigurationError(
                    variable: key,
                    value: text,
                    expected: "a whole number from \(range.lowerBound) to \(range.upperBound)"
                )
            }
            return number
        }
        queueURL = value("QUEUE_URL")
        if let queueURL, !(queueURL.hasPrefix("https://") || queueURL.hasPrefix("http://")) {
            throw WorkerConfigurationError(variable: "QUEUE_URL", value: queueURL, expected: "an http(s):// queue URL")
        }
        defaultSourceURI = try uri("DEFAULT_SOURCE_URI")
        defaultTargetURI = try uri("DEFAULT_TARGET_URI")
        resultsURI = try uri("RESULTS_URI")
        if let text = value("ALLOWED_BUCKETS") {
            let buckets = text.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard buckets.allSatisfy({ !$0.isEmpty && !$0.contains("/") }) else {
                throw WorkerConfigurationError(
                    variable: "ALLOWED_BUCKETS",
                    value: text,
                    expected: "comma-separated bucket names"
                )
            }
            allowedBuckets = Set(buckets)
        }
        workerThreads = try integer("WORKER_THREADS", 1...256) ?? workerThreads
        maxFilesPerJob = try integer("MAX_FILES_PER_JOB", 1...10_000_000) ?? maxFilesPerJob
        maxJobBytes = try integer("MAX_JOB_BYTES", 1...(1 << 50)) ?? maxJobBytes
        maxFileBytes = try integer("MAX_FILE_BYTES", 1...(4 << 30)) ?? maxFileBytes
        maxFramesPerFile = try integer("MAX_FRAMES_PER_FILE", 1...1_000_000) ?? maxFramesPerFile
        uploadPartBytes = try integer("UPLOAD_PART_BYTES", (5 << 20)...(5 << 30)) ?? uploadPartBytes
        if let namespace = value("METRICS_NAMESPACE") {
            // CloudWatch: 1…255 characters, no leading colon; keep it to printable ASCII.
            guard namespace.utf8.count <= 255, !namespace.hasPrefix(":"),
                namespace.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F })
            else {
                throw WorkerConfigurationError(
                    variable: "METRICS_NAMESPACE",
                    value: namespace,
                    expected: "1 to 255 printable ASCII characters"
                )
            }
            metricsNamespace = namespace
        }
        if let level = value("LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw WorkerConfigurationError(
                    variable: "LOG_LEVEL",
                    value: level,
                    expected: Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                )
            }
            logLevel = parsed
        }
        apiKey = value("API_KEY")
        // SQS allows visibility up to 12 h; 2 s is the least a heartbeat at half of it keeps up with.
        runtime.visibilityTimeoutSeconds =
            try integer("WORKER_VISIBILITY_TIMEOUT_SECONDS", 2...43_200) ?? runtime.visibilityTimeoutSeconds
        runtime.shutdownGraceSeconds =
            try integer("WORKER_SHUTDOWN_GRACE_SECONDS", 0...3_600) ?? runtime.shutdownGraceSeconds
        runtime.retryDelaySeconds = try integer("WORKER_RETRY_DELAY_SECONDS", 0...43_200) ?? runtime.retryDelaySeconds
        runtime.deadlineMarginSeconds =
            try integer("WORKER_DEADLINE_MARGIN_SECONDS", 0...900) ?? runtime.deadlineMarginSeconds
        runtime.minimumJobSeconds = try integer("WORKER_MIN_JOB_SECONDS", 0...900) ?? runtime.minimumJobSeconds
    }

    /// The limits a job's listing is checked against.
    package var limits: JobLimits {
        JobLimits(maxFiles: maxFilesPerJob, maxJobBytes: maxJobBytes, maxFileBytes: maxFileBytes)
    }

    /// Whether a job may name `bucket`.
    public func allows(bucket: String) -> Bool { allowedBuckets.isEmpty || allowedBuckets.contains(bucket) }

    /// Where the results of a job writing to `target` go: `RESULTS_URI`, else `<target>results/`.
    public func resultsLocation(forTarget target: S3URI?) -> S3URI? {
        if let resultsURI { return resultsURI }
        guard let target else { return nil }
        return S3URI(bucket: target.bucket, key: target.key + "results/")
    }
}

/// A variable of the worker's environment that is not usable; names the variable.
public struct WorkerConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The environment variable.
    public let variable: String
    /// What it was set to.
    public let value: String
    /// What it should be.
    public let expected: String

    public var description: String { "\(variable)=\(value) is not valid: expected \(expected)" }
}
