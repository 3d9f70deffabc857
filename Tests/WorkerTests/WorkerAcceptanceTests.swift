import AWSClients
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SampleStudy
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 7's acceptance for the runtimes: the built `dicom-j2k` binary in `poll` and `lambda`
/// mode against LocalStack (S3 + SQS of its own) and the scripted Runtime API, with the real job.
@Suite(
    .enabled(if: LocalStack.shouldRun, "needs DICOM_J2K_TEST_ENDPOINT (scripts/test.sh starts LocalStack)"),
    .needs(.python, .dicomJ2KExecutable),
    .serialized
)
struct WorkerAcceptanceTests {
    struct Setup {
        var tool: String
        var python: String
        var env: LocalStack
        /// `worker-tests/<run>/<name>/` in the shared bucket.
        var prefix: String

        func uri(_ sub: String) -> String { "s3://\(env.bucket)/\(prefix)\(sub)" }

        /// The worker's environment: LocalStack, short visibility, no retry delay.
        func environment(_ extra: [String: String] = [:]) -> [String: String] {
            [
                "AWS_ENDPOINT_URL": env.endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_REGION": "us-east-1", "WORKER_THREADS": "2", "WORKER_VISIBILITY_TIMEOUT_SECONDS": "10",
                "WORKER_RETRY_DELAY_SECONDS": "0", "LOG_LEVEL": "info",
            ].merging(extra) { $1 }
        }
    }

    static func setup(_ name: String) throws -> Setup {
        let tool = try TestEnvironment.dicomJ2KExecutable()
        let python = try TestEnvironment.require(TestEnvironment.python, "the test venv's python (DICOM_J2K_PYTHON)")
        return Setup(
            tool: tool,
            python: python,
            env: try LocalStack.require(),
            prefix: "worker-tests/\(LocalStack.runID)/\(name)/"
        )
    }

    static func uploadStudy(_ s3: S3Client, _ setup: Setup, folder: String, slices: Int, size: Int = 64) async throws {
        let writer = try SampleStudyWriter(options: .init(slices: slices, rows: size, columns: size))
        for index in 0..<slices {
            try await s3.putObject(
                bucket: setup.env.bucket,
                key: setup.prefix + folder + writer.fileName(forSlice: index),
                body: ByteBuffer(bytes: try writer.slice(index)),
                logger: quietLogger
            )
        }
    }

    static func keys(_ s3: S3Client, _ setup: Setup, under sub: String) async throws -> [String] {
        var keys: [String] = []
        for try await object in s3.listObjects(
            bucket: setup.env.bucket,
            prefix: setup.prefix + sub,
            logger: quietLogger
        ) {
            keys.append(String(object.key.dropFirst(setup.prefix.count)))
        }
        return keys.sorted()
    }

    static func json(_ s3: S3Client, _ setup: Setup, _ sub: String) async throws -> [String: Any] {
        let bytes = try await s3.getObjectBytes(bucket: setup.env.bucket, key: setup.prefix + sub, logger: quietLogger)
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any])
    }

    /// Downloads a ZIP and decodes every entry with pydicom; returns how many decoded.
    static func decodedEntries(_ s3: S3Client, _ setup: Setup, zipKey: String) async throws -> (Int, [String]) {
        let bytes = try await s3.getObjectBytes(
            bucket: setup.env.bucket,
            key: setup.prefix + zipKey,
            logger: quietLogger
        )
        return try withTemporaryDirectory { folder in
            let file = folder.appendingPathComponent("out.zip")
            try Data(bytes.readableBytesView).write(to: file)
            let check = try runProcess(setup.python, ["-c", Self.decodeScript, file.path])
            #expect(check.status == 0, "\(check.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])
            return (report["decoded"] as? Int ?? -1, report["errors"] as? [String] ?? ["unreadable report"])
        }
    }

    /// Decodes every entry of the ZIP in argv[1] with pydicom (+ pylibjpeg-openjpeg); prints
    /// `{"decoded": n, "errors": [...]}`.
    static let decodeScript = """
        import io, json, sys, zipfile, pydicom
        decoded, errors = 0, []
        with zipfile.ZipFile(sys.argv[1]) as z:
            for info in z.infolist():
                try:
                    ds = pydicom.dcmread(io.BytesIO(z.read(info)))
                    if ds.pixel_array.size == 0:
                        raise ValueError("empty pixel array")
                    decoded += 1
                except Exception as error:
                    errors.append(f"{info.filename}: {error}")
        print(json.dumps({"decoded": decoded, "errors": errors[:10]}))
        """

    static func message(_ setup: Setup, taskId: String, source: String, target: String = "out/") -> String {
        let body: [String: Any] = [
            "taskId": taskId, "s3SourceUri": setup.uri(source), "s3TargetUri": setup.uri(target),
            "compressionRate": 20,
        ]
        let data = try! JSONSerialization.data(withJSONObject: body, options: .sortedKeys)
        return String(decoding: data, as: UTF8.self)
    }

    @Test func pollMaxJobsOneTurnsAMessageIntoAZipAResultAndOneMetricLine() async throws {
        let setup = try Self.setup("poll60")
        try await withAWSHTTPClient { http in
            let s3 = S3Client(configuration: setup.env.configuration, httpClient: http)
            let sqs = SQSClient(configuration: setup.env.configuration, httpClient: http)
            try await Self.uploadStudy(s3, setup, folder: "study/", slices: 60)
            try await setup.env.withQueue(sqs, name: "accept-poll", maxReceiveCount: 2) { queueURL, _ in
                let taskId = "accept-poll-\(UUID().uuidString.prefix(6))"
                try await sqs.sendMessage(
                    queueURL: queueURL,
                    body: Self.message(setup, taskId: taskId, source: "study/"),
                    logger: quietLogger
                )
                let run = try runProcess(
                    setup.tool,
                    ["poll", "--queue-url", queueURL, "--max-jobs", "1"],
                    environment: setup.environment()
                )
                #expect(run.status == 0, "\(run.stderr)")
                let emf = run.stdout.split(separator: "\n").filter { $0.contains("\"_aws\"") }
                #expect(emf.count == 1)
                #expect(emf.first?.contains(taskId) == true)

                let outputs = try await Self.keys(s3, setup, under: "out/")
                let zips = outputs.filter { $0.hasSuffix(".zip") }
                #expect(zips.count == 1)
                #expect(zips.first?.hasPrefix("out/study-rate20-") == true)
                #expect(outputs.contains("out/results/\(taskId).json"))
                let result = try await Self.json(s3, setup, "out/results/\(taskId).json")
                #expect(result["status"] as? String == "completed")
                #expect((result["worker"] as? [String: Any])?["mode"] as? String == "poll")
                let zip = try #require(zips.first)
                let (decoded, errors) = try await Self.decodedEntries(s3, setup, zipKey: zip)
                #expect(decoded == 60)
                #expect(errors.isEmpty)
                #expect(try await LocalStack.messageCount(sqs, queueURL) == 0)
            }
        }
    }

    @Test func theSameMessageDeliveredTwiceGivesOneZip() async throws {
        let setup = try Self.setup("twice")
        try await withAWSHTTPClient { http in
            let s3 = S3Client(configuration: setup.env.configuration, httpClient: http)
            let sqs = SQSClient(configuration: setup.env.configuration, httpClient: http)
            try await Self.uploadStudy(s3, setup, folder: "study/", slices: 10)
            try await setup.env.withQueue(sqs, name: "accept-twice", maxReceiveCount: 3) { queueURL, _ in
                let taskId = "accept-twice-\(UUID().uuidString.prefix(6))"
                let body = Self.message(setup, taskId: taskId, source: "study/")
                try await sqs.sendMessage(queueURL: queueURL, body: body, logger: quietLogger)
                try await sqs.sendMessage(queueURL: queueURL, body: body, logger: quietLogger)
                let run = try runProcess(
                    setup.tool,
                    ["poll", "--queue-url", queueURL, "--max-jobs", "2"],
                    environment: setup.environment()
                )
                #expect(run.status == 0, "\(run.stderr)")
                let outputs = try await Self.keys(s3, setup, under: "out/")
                #expect(outputs.filter { $0.hasSuffix(".zip") }.count == 1)
                #expect(outputs.filter { $0.hasSuffix(".json") } == ["out/results/\(taskId).json"])
                #expect(
                    try await Self.json(s3, setup, "out/results/\(taskId).json")["status"] as? String == "completed"
                )
                #expect(try await LocalStack.messageCount(sqs, queueURL) == 0)
            }
        }
    }

    @Test func lambdaAnswersTheOneMalformedRecordOfThreeAndTwoZipsLand() async throws {
        let setup = try Self.setup("lambda")
        try await withAWSHTTPClient { http in
            let s3 = S3Client(configuration: setup.env.configuration, httpClient: http)
            try await Self.uploadStudy(s3, setup, folder: "a/", slices: 6)
            try await Self.uploadStudy(s3, setup, folder: "b/", slices: 6)
            let records: [(String, String)] = [
                ("rec-a", Self.message(setup, taskId: "lambda-a-\(UUID().uuidString.prefix(6))", source: "a/")),
                ("rec-bad", "{not a job"),
                ("rec-b", Self.message(setup, taskId: "lambda-b-\(UUID().uuidString.prefix(6))", source: "b/")),
            ]
            let event: [String: Any] = [
                "Records": records.map { id, body in
                    [
                        "messageId": id, "receiptHandle": "rh", "body": body, "eventSource": "aws:sqs",
                        "attributes": ["ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"],
                    ] as [String: Any]
                }
            ]
            let eventText = String(decoding: try JSONSerialization.data(withJSONObject: event), as: UTF8.self)
            let script = [
                ScriptedRuntimeAPI.Invocation(
                    requestID: "req-accept",
                    deadline: Date().addingTimeInterval(600),
                    event: eventText
                )
            ]
            let posts = try await ScriptedRuntimeAPI.withServer(script: script) { server in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: setup.tool)
                process.arguments = []  // the default: lambda mode because AWS_LAMBDA_RUNTIME_API is set
                process.environment = ProcessInfo.processInfo.environment.merging(
                    setup.environment(["AWS_LAMBDA_RUNTIME_API": server.hostAndPort])
                ) { $1 }
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                let posts = try await server.waitForPosts(1, timeout: .seconds(300))
                process.terminate()
                process.waitUntilExit()
                return posts
            }
            #expect(posts.map(\.path) == ["/invocation/req-accept/response"])
            #expect(posts.first?.body == #"{"batchItemFailures":[{"itemIdentifier":"rec-bad"}]}"#)
            let zips = try await Self.keys(s3, setup, under: "out/").filter { $0.hasSuffix(".zip") }
            #expect(zips.count == 2)
        }
    }

    /// Open multipart uploads under `prefix` (ListMultipartUploads; the client has no call for it).
    static func openUploads(_ s3: S3Client, _ setup: Setup, under sub: String) async throws -> Int {
        let response = try await s3.transport.execute(
            AWSHTTPRequest(
                operation: "S3.ListMultipartUploads",
                service: "s3",
                endpoint: s3.configuration.s3Endpoint,
                method: .GET,
                path: "/\(setup.env.bucket)",
                query: [("prefix", setup.prefix + sub), ("uploads", "")]
            ),
            logger: quietLogger,
            decodeError: { response in
                (200..<300).contains(response.status.code)
                    ? nil : MissingTestDataError("ListMultipartUploads: \(response.status)")
            }
        )
        return String(buffer: response.body).components(separatedBy: "<UploadId>").count - 1
    }

    @Test func aWorkerKilledMidJobAndStartedAgainCompletesTheJobOnce() async throws {
        let setup = try Self.setup("sigkill")
        try await withAWSHTTPClient { http in
            let s3 = S3Client(configuration: setup.env.configuration, httpClient: http)
            let sqs = SQSClient(configuration: setup.env.configuration, httpClient: http)
            // The check for open uploads sees one (a control, so 0 at the end means something).
            let control = try await s3.createMultipartUpload(
                bucket: setup.env.bucket,
                key: setup.prefix + "out/control.zip",
                logger: quietLogger
            )
            #expect(try await Self.openUploads(s3, setup, under: "out/") == 1)
            try await s3.abortMultipartUpload(
                bucket: setup.env.bucket,
                key: setup.prefix + "out/control.zip",
                uploadID: control,
                logger: quietLogger
            )
            #expect(try await Self.openUploads(s3, setup, under: "out/") == 0)
            // Large enough slices that the job is still running when the result says "processing".
            try await Self.uploadStudy(s3, setup, folder: "study/", slices: 40, size: 512)
            try await setup.env.withQueue(sqs, name: "accept-kill", maxReceiveCount: 5) { queueURL, _ in
                let taskId = "accept-kill-\(UUID().uuidString.prefix(6))"
                try await sqs.sendMessage(
                    queueURL: queueURL,
                    body: Self.message(setup, taskId: taskId, source: "study/"),
                    logger: quietLogger
                )
                let environment = setup.environment(["WORKER_VISIBILITY_TIMEOUT_SECONDS": "4", "WORKER_THREADS": "1"])
                let process = Process()
                process.executableURL = URL(fileURLWithPath: setup.tool)
                process.arguments = ["poll", "--queue-url", queueURL, "--max-jobs", "1"]
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                // Kill it while the job runs: once the processing result is written.
                let end = ContinuousClock.now + .seconds(120)
                var sawProcessing = false
                while ContinuousClock.now < end, process.isRunning {
                    if let result = try? await Self.json(s3, setup, "out/results/\(taskId).json"),
                        result["status"] as? String == "processing"
                    {
                        sawProcessing = true
                        break
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                try await Task.sleep(for: .milliseconds(500))
                let killedWhileRunning = process.isRunning
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                #expect(sawProcessing)
                #expect(killedWhileRunning, "the job finished before it could be killed; use a larger study")
                #expect(try await Self.keys(s3, setup, under: "out/").filter { $0.hasSuffix(".zip") }.isEmpty)
                // The killed worker could not abort its upload: the restarted job must clean it up.
                let openAfterKill = try await Self.openUploads(s3, setup, under: "out/")

                // A new worker takes the message once its visibility (4 s) runs out.
                let rerun = try runProcess(
                    setup.tool,
                    ["poll", "--queue-url", queueURL, "--max-jobs", "1"],
                    environment: environment
                )
                #expect(rerun.status == 0, "\(rerun.stderr)")
                let outputs = try await Self.keys(s3, setup, under: "out/")
                let zips = outputs.filter { $0.hasSuffix(".zip") }
                #expect(zips.count == 1)
                #expect(zips.first.map { !$0.hasSuffix("-1.zip") } == true)
                let result = try await Self.json(s3, setup, "out/results/\(taskId).json")
                #expect(result["status"] as? String == "completed")
                #expect((result["worker"] as? [String: Any])?["attempt"] as? Int == 2)
                #expect(
                    try await Self.openUploads(s3, setup, under: "out/") == 0,
                    "\(openAfterKill) upload(s) were open after the kill"
                )
                #expect(try await LocalStack.messageCount(sqs, queueURL) == 0)
            }
        }
    }

    @Test func aPoisonMessageLandsInTheDLQAfterMaxReceiveCountWithAFailedResult() async throws {
        let setup = try Self.setup("poison")
        try await withAWSHTTPClient { http in
            let s3 = S3Client(configuration: setup.env.configuration, httpClient: http)
            let sqs = SQSClient(configuration: setup.env.configuration, httpClient: http)
            try await Self.uploadStudy(s3, setup, folder: "study/", slices: 3)
            try await setup.env.withQueue(sqs, name: "accept-poison", maxReceiveCount: 2) { queueURL, dlqURL in
                let dlqURL = try #require(dlqURL)
                let taskId = "accept-poison-\(UUID().uuidString.prefix(6))"
                // The target bucket does not exist: every attempt fails the same retryable way.
                let body: [String: Any] = [
                    "taskId": taskId, "s3SourceUri": setup.uri("study/"),
                    "s3TargetUri": "s3://dicom-j2k-no-such-bucket-\(LocalStack.runID)/out/",
                ]
                let text = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
                let id = try await sqs.sendMessage(queueURL: queueURL, body: text, logger: quietLogger)
                let run = try runProcess(
                    setup.tool,
                    ["poll", "--queue-url", queueURL, "--idle-exit", "4"],
                    environment: setup.environment(["RESULTS_URI": setup.uri("results/")])
                )
                #expect(run.status == 0, "\(run.stderr)")
                let dead = try await sqs.receiveMessages(queueURL: dlqURL, waitTimeSeconds: 5, logger: quietLogger)
                #expect(dead.map(\.messageID) == [id])
                #expect(try await LocalStack.messageCount(sqs, queueURL) == 0)
                let result = try await Self.json(s3, setup, "results/\(taskId).json")
                #expect(result["status"] as? String == "failed")
                let error = try #require(result["error"] as? [String: Any])
                #expect((error["message"] as? String)?.isEmpty == false)
                #expect(error["code"] as? String == "outputFailed")
                #expect((result["worker"] as? [String: Any])?["attempt"] as? Int == 2)
            }
        }
    }

    /// Peak `Threads` and `VmHWM` (KiB) of a running process, from /proc.
    static func sample(_ pid: Int32) -> (threads: Int, rssKiB: Int)? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .flatMap {
                    Int($0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ")[0])
                }
        }
        guard let threads = field("Threads"), let rss = field("VmHWM") else { return nil }
        return (threads, rss)
    }

    @Test func tenMessagesAreProcessedOneAtATime() async throws {
        let setup = try Self.setup("ten")
        try await withAWSHTTPClient { http in
            let s3 = S3Client(configuration: setup.env.configuration, httpClient: http)
            let sqs = SQSClient(configuration: setup.env.configuration, httpClient: http)
            try await Self.uploadStudy(s3, setup, folder: "study/", slices: 20, size: 256)
            try await setup.env.withQueue(sqs, name: "accept-ten", maxReceiveCount: 3) { queueURL, _ in
                let taskIds = (0..<10).map { "accept-ten-\($0)-\(UUID().uuidString.prefix(6))" }
                for taskId in taskIds {
                    try await sqs.sendMessage(
                        queueURL: queueURL,
                        body: Self.message(setup, taskId: taskId, source: "study/"),
                        logger: quietLogger
                    )
                }
                let process = Process()
                process.executableURL = URL(fileURLWithPath: setup.tool)
                process.arguments = ["poll", "--queue-url", queueURL, "--max-jobs", "10"]
                process.environment = ProcessInfo.processInfo.environment.merging(setup.environment()) { $1 }
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                let start = ContinuousClock.now
                try process.run()
                var peakThreads = 0
                var peakRSS = 0
                while process.isRunning {
                    if let sample = Self.sample(process.processIdentifier) {
                        peakThreads = max(peakThreads, sample.threads)
                        peakRSS = max(peakRSS, sample.rssKiB)
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                process.waitUntilExit()
                let elapsed = ContinuousClock.now - start
                #expect(process.terminationStatus == 0)
                // For the report (not an assertion: measurements live in notes and benchmarks).
                print(
                    "[measure] 10 jobs × 20 slices 256×256 via poll: \(elapsed), peak threads \(peakThreads), peak RSS \(peakRSS / 1024) MiB"
                )

                let zips = try await Self.keys(s3, setup, under: "out/").filter { $0.hasSuffix(".zip") }
                #expect(zips.count == 10)
                // One at a time: no two jobs' processing intervals overlap.
                var intervals: [(String, String)] = []
                for taskId in taskIds {
                    let result = try await Self.json(s3, setup, "out/results/\(taskId).json")
                    #expect(result["status"] as? String == "completed")
                    intervals.append((result["startedAt"] as? String ?? "", result["completedAt"] as? String ?? ""))
                }
                let sorted = intervals.sorted { $0.0 < $1.0 }
                for (earlier, later) in zip(sorted, sorted.dropFirst()) {
                    #expect(earlier.1 <= later.0, "jobs overlapped: \(earlier) and \(later)")
                }
                #expect(try await LocalStack.messageCount(sqs, queueURL) == 0)
            }
        }
    }

    @Test func sigtermAbandonsALongJobCleanlyAfterTheGrace() async throws {
        let setup = try Self.setup("sigterm")
        try await withAWSHTTPClient { http in
            let s3 = S3Client(configuration: setup.env.configuration, httpClient: http)
            let sqs = SQSClient(configuration: setup.env.configuration, httpClient: http)
            try await Self.uploadStudy(s3, setup, folder: "study/", slices: 40, size: 512)
            try await setup.env.withQueue(sqs, name: "accept-term", maxReceiveCount: 5) { queueURL, _ in
                let taskId = "accept-term-\(UUID().uuidString.prefix(6))"
                let id = try await sqs.sendMessage(
                    queueURL: queueURL,
                    body: Self.message(setup, taskId: taskId, source: "study/"),
                    logger: quietLogger
                )
                let environment = setup.environment([
                    "WORKER_VISIBILITY_TIMEOUT_SECONDS": "60", "WORKER_THREADS": "1",
                    "WORKER_SHUTDOWN_GRACE_SECONDS": "1", "WORKER_RETRY_DELAY_SECONDS": "600",
                ])
                let process = Process()
                process.executableURL = URL(fileURLWithPath: setup.tool)
                process.arguments = ["poll", "--queue-url", queueURL]
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                let end = ContinuousClock.now + .seconds(120)
                while ContinuousClock.now < end, process.isRunning {
                    if let result = try? await Self.json(s3, setup, "out/results/\(taskId).json"),
                        result["status"] as? String == "processing"
                    {
                        break
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(process.isRunning, "the job finished before SIGTERM; use a larger study")
                process.terminate()  // SIGTERM
                process.waitUntilExit()
                #expect(process.terminationStatus == 0)
                // Abandoned cleanly: no ZIP, no open upload, and the message visible again at once
                // (not after the 60 s visibility or the 600 s retry delay).
                #expect(try await Self.keys(s3, setup, under: "out/").filter { $0.hasSuffix(".zip") }.isEmpty)
                #expect(try await Self.openUploads(s3, setup, under: "out/") == 0)
                let again = try await sqs.receiveMessages(queueURL: queueURL, waitTimeSeconds: 3, logger: quietLogger)
                #expect(again.map(\.messageID) == [id])
                #expect(again.first?.approximateReceiveCount == 2)
            }
        }
    }
}
