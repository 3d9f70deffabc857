import AWSClients
import CompressionAPI
import CompressionJob
import Foundation
import TestSupport
import Testing

/// Issue 9's dashboard acceptance: the real API server against LocalStack with a completed and a
/// queued job made through the real path (two POSTs, then a `dicom-j2k poll --max-jobs 1` worker
/// takes one of them), `/` loaded in headless Chromium: the DOM text shows both jobs with their
/// statuses and the queue panel, and the screenshot is kept as a test artifact.
@Suite(
    .enabled(if: APILocalStack.shouldRun, "needs DICOM_J2K_TEST_ENDPOINT (scripts/test.sh starts LocalStack)"),
    .needs(.dicomJ2KExecutable, .tool("chromium", package: "chromium")),
    .serialized
)
struct DashboardBrowserTests {
    /// `.build/test-artifacts/` of the repository (kept by CI as the run's artifacts).
    static var artifacts: URL {
        TestEnvironment.repositoryRoot.appendingPathComponent(".build/test-artifacts", isDirectory: true)
    }

    @Test func aCompletedAndAQueuedJobInHeadlessChromium() async throws {
        let tool = try TestEnvironment.dicomJ2KExecutable()
        let chromium = try TestEnvironment.require(
            TestEnvironment.tool("chromium"),
            "chromium (Debian package chromium)"
        )
        let env = try APILocalStack.require("dashboard-browser")
        try await env.withClientsAndQueue("dashboard") { s3, sqs, _, queueURL in
            try await env.uploadStudy(s3, folder: "study/", slices: 4)
            let service = APIService(
                configuration: try env.workerConfiguration(queueURL: queueURL),
                s3: s3,
                sqs: sqs,
                version: "test",
                host: "test"
            )
            try await withPlainHTTPClient { http in
                try await APIServer.withServer(service: service, logger: quietLogger) { port in
                    let client = APIClient(http: http, port: port)
                    let tasks = ["dash-a-\(APILocalStack.runID)", "dash-b-\(APILocalStack.runID)"]
                    for task in tasks {
                        let answer = try await client.send(
                            .POST,
                            "/compress-dicom?taskId=\(task)&s3SourceUri=\(QueryString.encode(env.uri("study/")))"
                                + "&compressionRate=20"
                        )
                        try #require(answer.status == 202, "\(answer)")
                    }
                    // One worker, one job: whichever message SQS hands out first completes.
                    let worker = try await Self.run(
                        tool,
                        ["poll", "--queue-url", queueURL, "--max-jobs", "1", "--idle-exit", "30"],
                        environment: env.processEnvironment(queueURL: queueURL)
                    )
                    try #require(worker.status == 0, "the worker failed: \(worker.stderr.suffix(2000))")
                    var statuses: [String: String] = [:]
                    for task in tasks {
                        statuses[task] =
                            try await client.send(.GET, "/compress-dicom/\(task)").json?["status"] as? String
                    }
                    try #require(statuses.values.sorted() == ["completed", "queued"], "\(statuses)")
                    let completed = try #require(statuses.first { $0.value == "completed" }?.key)
                    let queued = try #require(statuses.first { $0.value == "queued" }?.key)

                    let url = "http://127.0.0.1:\(port)/"
                    let dom = try await Self.run(chromium, Self.chromiumFlags + ["--dump-dom", url])
                    try #require(dom.status == 0, "chromium --dump-dom failed: \(dom.stderr.suffix(2000))")
                    let text = visibleText(dom.stdout)
                    #expect(text.contains("dicom-j2k · compression dashboard"))
                    #expect(text.contains("Recent jobs (2 newest: 1 queued, 1 completed)"), "\(text.prefix(3000))")
                    #expect(dom.stdout.contains("<code class=\"task\">\(completed)</code>"))
                    #expect(dom.stdout.contains("<code class=\"task\">\(queued)</code>"))
                    // Each job's row carries its status.
                    let rows = dom.stdout.components(separatedBy: "<tr class=\"job ")
                    #expect(rows.contains { $0.hasPrefix("job-completed") && $0.contains(completed) })
                    #expect(rows.contains { $0.hasPrefix("job-queued") && $0.contains(queued) })
                    // The queue panel: the queued job's message waits (SQS counts are approximate).
                    #expect(text.contains("Queue Waiting"), "\(text.prefix(2000))")
                    #expect(text.contains("In flight 0"))
                    #expect(!text.contains("Queue not reachable"))
                    #expect(text.contains("4 compressed 0 failed"))
                    #expect(text.contains("openjpeg j2k 20 1"))  // the comparison row of the completed job
                    #expect(dom.stdout.contains("href=\"/compress-dicom/\(completed)\">result JSON</a>"))
                    #expect(dom.stdout.contains(">download</a>"))

                    try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
                    let png = Self.artifacts.appendingPathComponent("dashboard.png")
                    try? FileManager.default.removeItem(at: png)
                    let shot = try await Self.run(
                        chromium,
                        Self.chromiumFlags + ["--screenshot=\(png.path)", "--window-size=1400,1000", url]
                    )
                    try #require(shot.status == 0, "chromium --screenshot failed: \(shot.stderr.suffix(2000))")
                    let image = try Data(contentsOf: png)
                    #expect(image.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "not a PNG")
                    #expect(image.count > 20_000, "a \(image.count)-byte screenshot is too small to show the page")
                    print("dashboard screenshot: \(png.path)")
                }
            }
        }
    }

    /// Headless, and runnable as root in a container (no sandbox), without a GPU or a D-Bus.
    static let chromiumFlags = [
        "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--hide-scrollbars",
        "--virtual-time-budget=5000",
    ]

    /// Runs a child off the cooperative pool, so the server in this process keeps answering it.
    static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil
    ) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runProcess(executable, arguments, environment: environment) })
            }
        }
    }
}
