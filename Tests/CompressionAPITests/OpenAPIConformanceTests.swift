import AWSClients
import CompressionAPI
import CompressionJob
import Foundation
import HTTPTypes
import TestSupport
import Testing
import Transcoder

/// Keeps docs/openapi.yaml true: the router's routes are the document's operations, and real
/// answers of a real server (LocalStack behind it) to representative requests validate against
/// the document's schemas, status codes, content types and required headers (Python's
/// `jsonschema`, Draft 2020-12, on the document's own schemas).
@Suite(.needs(.python))
struct OpenAPIConformanceTests {
    static var document: URL { TestEnvironment.repositoryRoot.appendingPathComponent("docs/openapi.yaml") }

    @Test func theRouterServesExactlyTheDocumentedOperations() throws {
        let python = try TestEnvironment.require(TestEnvironment.python, "the test venv's python (DICOM_J2K_PYTHON)")
        let output = try runProcess(python, ["-c", Self.operationsScript, Self.document.path])
        try #require(output.status == 0, "\(output.stderr)")
        let documented = Set(output.stdout.split(separator: "\n").map(String.init))
        let served = Set(APIRoute.allCases.map { "\($0.method.rawValue) \($0.path)" })
        #expect(
            served == documented,
            "served only: \(served.subtracting(documented)); documented only: \(documented.subtracting(served))"
        )
    }

    /// One request's route (the document's path template) and its real answer.
    struct Exchange: Encodable {
        var method: String
        var route: String
        var status: Int
        var headers: [String: String]
        var body: String
    }

    @Test(.enabled(if: APILocalStack.shouldRun, "needs DICOM_J2K_TEST_ENDPOINT (scripts/test.sh starts LocalStack)"))
    func realAnswersMatchTheDocument() async throws {
        let python = try TestEnvironment.require(TestEnvironment.python, "the test venv's python (DICOM_J2K_PYTHON)")
        let env = try APILocalStack.require("openapi-conformance")
        let exchanges = try await env.withClientsAndQueue("openapi") { s3, sqs, _, queueURL -> [Exchange] in
            try await env.uploadStudy(s3, folder: "study/", slices: 2)
            let store = S3ResultStore(
                s3: s3,
                prefix: S3URI(bucket: env.bucket, key: env.prefix + "results/"),
                logger: quietLogger
            )
            for result in Self.storedResults(env) { try await store.save(result) }
            let key = "the-key-\(APILocalStack.runID)"
            let service = APIService(
                configuration: try env.workerConfiguration(queueURL: queueURL, apiKey: key),
                s3: s3,
                sqs: sqs,
                version: "test",
                host: "test"
            )
            return try await withPlainHTTPClient { http in
                try await APIServer.withServer(service: service, logger: quietLogger) { port in
                    let client = APIClient(http: http, port: port)
                    let auth = ["x-api-key": key]
                    let study = QueryString.encode(env.uri("study/"))
                    let object = QueryString.encode(env.uri("study/") + "CT0001.dcm")
                    let requests: [(HTTPMethodName, String, String, [String: String], String?, Int)] = [
                        (.GET, "/healthz", "/healthz", [:], nil, 200),
                        (.GET, "/queue", "/queue", [:], nil, 401),
                        (.GET, "/queue", "/queue", auth, nil, 200),
                        (.GET, "/", "/", auth, nil, 200),
                        (.GET, "/compress-dicom/results", "/compress-dicom/results", auth, nil, 200),
                        (.GET, "/compress-dicom/results?limit=1", "/compress-dicom/results", auth, nil, 200),
                        (.GET, "/compress-dicom/results?limit=0", "/compress-dicom/results", auth, nil, 400),
                        (.GET, "/compress-dicom/benchmark", "/compress-dicom/benchmark", auth, nil, 200),
                        (.GET, "/compress-dicom/conf-done", "/compress-dicom/{taskId}", auth, nil, 200),
                        (.GET, "/compress-dicom/conf-failed", "/compress-dicom/{taskId}", auth, nil, 200),
                        (.GET, "/compress-dicom/no-such-task", "/compress-dicom/{taskId}", auth, nil, 404),
                        (.GET, "/compress-dicom/bad%20id", "/compress-dicom/{taskId}", auth, nil, 400),
                        (
                            .POST, "/compress-dicom?taskId=conf-new&s3SourceUri=\(study)&compressionRate=50",
                            "/compress-dicom", auth, nil, 202
                        ),
                        (.GET, "/compress-dicom/conf-new", "/compress-dicom/{taskId}", auth, nil, 200),
                        (
                            .POST, "/compress-dicom?taskId=conf-new&s3SourceUri=\(study)", "/compress-dicom", auth, nil,
                            409
                        ),
                        (
                            .POST, "/compress-dicom", "/compress-dicom", auth,
                            #"{"taskId":"conf-body","s3SourceUri":"\#(env.uri("study/"))","targetPSNR":45}"#, 202
                        ),
                        (.POST, "/compress-dicom?compressionRate=abc", "/compress-dicom", auth, nil, 400),
                        (.POST, "/compress-dicom", "/compress-dicom", auth, #"{"compressionRate":0}"#, 400),
                        (.POST, "/compress-dicom?anonymize=true", "/compress-dicom", auth, #"{"anonymize":true}"#, 400),
                        (
                            .POST, "/compress-dicom", "/compress-dicom", auth,
                            #"{"s3SourceUri":"s3://not-allowed-bucket/x/"}"#, 400
                        ),
                        (
                            .POST, "/compress-dicom", "/compress-dicom", auth,
                            "{\"outputFilename\":\"" + String(repeating: "x", count: 70_000) + "\"}", 413
                        ),
                        (.GET, "/download?s3Uri=\(object)", "/download", auth, nil, 302),
                        (.GET, "/download?s3Uri=\(object)&filename=a%20b.zip", "/download", auth, nil, 302),
                        (.GET, "/download", "/download", auth, nil, 400),
                        (
                            .GET, "/download?s3Uri=\(QueryString.encode(env.uri("missing.zip")))", "/download", auth,
                            nil, 404
                        ),
                    ]
                    var exchanges: [Exchange] = []
                    for (method, target, route, headers, body, expected) in requests {
                        var headers = headers
                        if body != nil { headers["content-type"] = "application/json" }
                        let answer = try await client.send(method, target, headers: headers, body: body)
                        #expect(answer.status == expected, "\(method) \(target.prefix(120)): \(answer)")
                        exchanges.append(
                            Exchange(
                                method: method.rawValue,
                                route: route,
                                status: answer.status,
                                headers: answer.headers,
                                body: answer.body
                            )
                        )
                    }
                    return exchanges
                }
            }
        }

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try JSONEncoder().encode(exchanges).write(to: file)
        let output = try runProcess(python, ["-c", Self.validateScript, Self.document.path, file.path])
        try #require(output.status == 0, "\(output.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect(report["checked"] as? Int == exchanges.count)
        let problems = report["problems"] as? [String] ?? ["unreadable report"]
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// A completed result with every optional part (stats, quality, per-file quality targets) and
    /// a failed one with its error, stored for the GET routes to answer with.
    static func storedResults(_ env: APILocalStack) -> [JobResult] {
        let worker = WorkerInfo(version: "test", openjpegVersion: "2.5.0", mode: .poll, host: "h", attempt: 1)
        let now = Date()
        var done = JobResult(
            taskId: "conf-done",
            status: .completed,
            timestamp: now,
            s3SourceUri: env.uri("study/"),
            options: JobOptions(compressionRate: 20, targetPSNR: nil),
            worker: worker
        )
        done.createdAt = now.addingTimeInterval(-60)
        done.startedAt = now.addingTimeInterval(-30)
        done.completedAt = now
        done.s3CompressedPath = env.uri("out/study-rate20.zip")
        done.compressionStats = CompressionStats(
            originalSize: 1_000_000,
            compressedSize: 50_000,
            pixelDataRatio: 20.5,
            processingTime: 3.5,
            downloadTime: 1,
            compressionTime: 2,
            uploadTime: 0.5,
            queueWaitTime: 30,
            processedFiles: 3,
            compressedFiles: 1,
            copiedFiles: 1,
            skippedFiles: 0,
            failedFiles: 1,
            cpuPeak: 150,
            cpuTimeUser: 5,
            cpuTimeSystem: 0.5,
            memoryPeak: 100 << 20,
            system: SystemStats(cpuBaseline: 3, cpuPeak: 80, memoryBaseline: 1 << 30, memoryPeak: 2 << 30)
        )
        done.quality = QualitySummary(filesChecked: 1, psnrMin: 50.5, psnrMean: 51, rmseMax: 1.5, maxAbsError: 7)
        var compressed = FileOutcome(
            key: "CT0001.dcm",
            status: .compressed,
            inputBytes: 600_000,
            outputBytes: 30_000,
            pixelDataRatio: 20.5,
            psnr: 50.5
        )
        compressed.encodesPerFrame = [2]
        compressed.qualityTarget = QualityTargetResult(
            target: "PSNR >= 45.0 dB",
            met: true,
            storedLossless: false,
            reason: nil,
            worstFramePSNR: 50.5,
            worstFrameMaxError: 7
        )
        done.files = [
            compressed,
            FileOutcome(key: "notes.txt", status: .copied, inputBytes: 10, outputBytes: 10, error: "not DICOM"),
            FileOutcome(
                key: "broken.dcm",
                status: .failed,
                inputBytes: 399_990,
                outputBytes: 399_990,
                error: "the pixel data is truncated",
                errorCode: "truncatedPixelData"
            ),
        ]
        var failed = JobResult(
            taskId: "conf-failed",
            status: .failed,
            timestamp: now,
            s3SourceUri: env.uri("study/"),
            options: JobOptions(transferSyntax: .htj2k, maxError: 2),
            worker: worker
        )
        failed.error = JobError(.invalidMessage, "must be a number from 1 to 10000", field: "compressionRate")
        return [done, failed]
    }

    /// Prints `METHOD /path` for every operation of the document in argv[1].
    static let operationsScript = """
        import sys, yaml
        doc = yaml.safe_load(open(sys.argv[1]))
        for path, item in doc["paths"].items():
            for method in item:
                if method in ("get", "put", "post", "delete", "options", "head", "patch", "trace"):
                    print(method.upper(), path)
        """

    /// Validates the exchanges in argv[2] against the document in argv[1]; prints
    /// `{"checked": n, "problems": [...]}`.
    static let validateScript = #"""
        import json, sys, yaml
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        doc = yaml.safe_load(open(sys.argv[1]))
        exchanges = json.load(open(sys.argv[2]))
        Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})
        registry = Registry().with_resource("urn:openapi", Resource.from_contents(doc, default_specification=DRAFT202012))

        def pointer(parts):
            return "urn:openapi#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)

        problems, checked = [], 0
        for ex in exchanges:
            name = f'{ex["method"]} {ex["route"]} -> {ex["status"]}'
            operation = doc["paths"].get(ex["route"], {}).get(ex["method"].lower())
            if operation is None:
                problems.append(f"{name}: not in the document"); continue
            code = str(ex["status"])
            response = operation["responses"].get(code)
            if response is None:
                problems.append(f"{name}: status not documented"); continue
            where = ["paths", ex["route"], ex["method"].lower(), "responses", code]
            if "$ref" in response:
                ref = response["$ref"].split("/")[-1]
                response, where = doc["components"]["responses"][ref], ["components", "responses", ref]
            checked += 1
            for header, spec in response.get("headers", {}).items():
                if spec.get("required") and header.lower() not in ex["headers"]:
                    problems.append(f"{name}: missing the required header {header}")
            content = response.get("content")
            if not content:
                if ex["body"]:
                    problems.append(f"{name}: a body where the document has none")
                continue
            media = ex["headers"].get("content-type", "").split(";")[0].strip()
            if media not in content:
                problems.append(f"{name}: content type {media!r} not documented"); continue
            if media != "application/json":
                continue
            try:
                body = json.loads(ex["body"])
            except ValueError as error:
                problems.append(f"{name}: not JSON ({error})"); continue
            validator = Draft202012Validator({"$ref": pointer(where + ["content", media, "schema"])}, registry=registry)
            for error in sorted(validator.iter_errors(body), key=str)[:5]:
                problems.append(f"{name}: {error.json_path}: {error.message[:300]}")
        print(json.dumps({"checked": checked, "problems": problems}))
        """#
}
