import AWSClients
import AsyncHTTPClient
import CompressionAPI
import CompressionJob
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// Issue 9's acceptance for the API: a real server on port 0 (real HTTP through AsyncHTTPClient),
/// LocalStack's S3 and an SQS queue of each test's own, the built `dicom-j2k poll` as the worker.
@Suite(
    .enabled(if: APILocalStack.shouldRun, "needs DICOM_J2K_TEST_ENDPOINT (scripts/test.sh starts LocalStack)"),
    .serialized
)
struct APIIntegrationTests {
    static func service(
        _ env: APILocalStack,
        _ s3: S3Client,
        _ sqs: SQSClient,
        _ queueURL: String,
        apiKey: String? = nil
    )
        throws -> APIService
    {
        APIService(
            configuration: try env.workerConfiguration(queueURL: queueURL, apiKey: apiKey),
            s3: s3,
            sqs: sqs,
            version: "test",
            host: "test-host"
        )
    }

    static func encode(_ value: String) -> String { QueryString.encode(value) }

    @Test(.needs(.dicomJ2KExecutable))
    func prototypeQueryParametersQueueAJobAWorkerCompletesAndDownloadRedirectsToTheZip() async throws {
        let env = try APILocalStack.require("flow")
        let tool = try TestEnvironment.dicomJ2KExecutable()
        try await env.withClientsAndQueue("flow") { s3, sqs, _, queueURL in
            try await env.uploadStudy(s3, folder: "study/", slices: 4)
            let service = try Self.service(env, s3, sqs, queueURL)
            try await withPlainHTTPClient { http in
                try await APIServer.withServer(service: service, logger: quietLogger) { port in
                    let api = APIClient(http: http, port: port)
                    let query = [
                        "s3SourceUri=" + Self.encode(env.uri("study/")),
                        "s3TargetUri=" + Self.encode(env.uri("out/")),
                        "compressionRate=20", "compressionLibrary=openjpeg", "anonymize=false",
                        "outputFilename=study-20.zip", "overwriteExisting=false",
                    ].joined(separator: "&")
                    let accepted = try await api.send(.POST, "/compress-dicom?" + query)
                    #expect(accepted.status == 202, "\(accepted)")
                    let body = try #require(accepted.json)
                    let taskId = try #require(body["taskId"] as? String)
                    #expect(body["success"] as? Bool == true)
                    #expect(body["status"] as? String == "queued")
                    #expect(body["estimatedTime"] is String)
                    #expect(body["s3SourceUri"] as? String == env.uri("study/"))
                    #expect(body["s3TargetPath"] as? String == env.uri("out/study-20.zip"))
                    let sourceInfo = try #require(body["sourceInfo"] as? [String: Any])
                    #expect(sourceInfo["totalFiles"] as? Int == 4)
                    #expect((sourceInfo["totalSize"] as? Int ?? 0) > 4 * 64 * 64 * 2)
                    let options = try #require(body["options"] as? [String: Any])
                    #expect(options["compressionRate"] as? Double == 20)
                    #expect(options["compressionLibrary"] as? String == "openjpeg")

                    // The queued document and the message, before any worker.
                    #expect(try await env.keys(s3, under: "results/") == ["results/\(taskId).json"])
                    #expect(try await TestLocalStack.messageCount(sqs, queueURL) == 1)
                    let queued = try await api.send(.GET, "/compress-dicom/\(taskId)")
                    #expect(queued.status == 200)
                    #expect(queued.json?["status"] as? String == "queued")
                    #expect(queued.json?["queuePosition"] as? Int == 0)
                    let queue = try await api.send(.GET, "/queue")
                    #expect(queue.json?["depth"] as? Int == 1)

                    let run = try runProcess(
                        tool,
                        ["poll", "--queue-url", queueURL, "--max-jobs", "1"],
                        environment: env.processEnvironment(queueURL: queueURL)
                    )
                    #expect(run.status == 0, "\(run.stderr)")

                    let completed = try await api.send(.GET, "/compress-dicom/\(taskId)")
                    #expect(completed.status == 200)
                    let result = try #require(completed.json)
                    #expect(result["status"] as? String == "completed")
                    #expect(result["queuePosition"] == nil)
                    let stats = try #require(result["compressionStats"] as? [String: Any])
                    for field in [
                        "originalSize", "compressedSize", "compressionRatio", "processingTime", "downloadTime",
                        "compressionTime", "uploadTime", "processedFiles", "cpuPeak", "memoryPeak", "display",
                    ] {
                        #expect(stats[field] != nil, "compressionStats.\(field)")
                    }
                    #expect(stats["processedFiles"] as? Int == 4)
                    let display = try #require(stats["display"] as? [String: String])
                    #expect(display["compressionRatio"]?.hasSuffix(":1") == true)
                    #expect(display["originalSize"]?.hasSuffix("KB") == true)
                    let zipURI = try #require(result["s3CompressedPath"] as? String)
                    #expect(zipURI == env.uri("out/study-20.zip"))

                    // The literal routes are not task ids.
                    let list = try await api.send(.GET, "/compress-dicom/results")
                    #expect(list.status == 200)
                    let listed = try #require(list.json?["results"] as? [[String: Any]])
                    #expect(listed.map { $0["taskId"] as? String } == [taskId])
                    #expect(listed.first?["files"] == nil)
                    #expect(listed.first?["fileCount"] as? Int == 4)
                    let bench = try await api.send(.GET, "/compress-dicom/benchmark")
                    #expect(bench.status == 200)
                    let rows = try #require(bench.json?["comparison"] as? [[String: Any]])
                    #expect(rows.count == 1)
                    #expect(rows.first?["rate"] as? Double == 20)
                    #expect(rows.first?["count"] as? Int == 1)

                    // The download: a redirect to a presigned URL whose body is the ZIP.
                    let download = try await api.send(
                        .GET,
                        "/download?s3Uri=\(Self.encode(zipURI))&filename=\(Self.encode("my study.zip"))"
                    )
                    #expect(download.status == 302, "\(download)")
                    let location = try #require(download.headers["location"])
                    #expect(location.contains("X-Amz-Signature="))
                    #expect(location.contains("X-Amz-Expires=300"))
                    var get = HTTPClientRequest(url: location)
                    get.method = .GET
                    let fetched = try await http.execute(get, timeout: .seconds(60))
                    #expect(fetched.status.code == 200)
                    #expect(
                        fetched.headers.first(name: "content-disposition") == "attachment; filename=\"my_study.zip\""
                    )
                    let zip = try await fetched.body.collect(upTo: 64 << 20)
                    #expect(Array(zip.readableBytesView.prefix(4)) == [0x50, 0x4B, 0x03, 0x04])
                    let stored = try await s3.getObjectBytes(
                        bucket: env.bucket,
                        key: env.prefix + "out/study-20.zip",
                        logger: quietLogger
                    )
                    #expect(zip == stored)

                    let missing = try await api.send(.GET, "/download?s3Uri=\(Self.encode(env.uri("out/none.zip")))")
                    #expect(missing.status == 404)
                    let foreign = try await api.send(
                        .GET,
                        "/download?s3Uri=\(Self.encode("s3://another-bucket/x.zip"))"
                    )
                    #expect(foreign.status == 400)
                    #expect(foreign.errorField == "s3Uri")
                }
            }
        }
    }

    @Test func badParametersAre400NamingTheFieldAndNothingIsEnqueued() async throws {
        let env = try APILocalStack.require("bad")
        try await env.withClientsAndQueue("bad") { s3, sqs, _, queueURL in
            try await env.uploadStudy(s3, folder: "study/", slices: 1)
            let service = try Self.service(env, s3, sqs, queueURL)
            let source = "s3SourceUri=" + Self.encode(env.uri("study/"))
            let target = "s3TargetUri=" + Self.encode(env.uri("out/"))
            // (query or nil, JSON body or nil, expected field, expected code)
            let cases: [(String?, String?, String, String)] = [
                ("\(source)&\(target)&compressionRate=abc", nil, "compressionRate", "invalidRequest"),
                ("\(source)&\(target)&compressionRate=0", nil, "compressionRate", "invalidMessage"),
                ("\(source)&\(target)&compressionRate=100000", nil, "compressionRate", "invalidMessage"),
                ("s3SourceUri=http%3A%2F%2Fexample.com%2Fx&\(target)", nil, "s3SourceUri", "invalidMessage"),
                ("s3SourceUri=\(Self.encode("s3://another-bucket/x/"))&\(target)", nil, "s3SourceUri", "refused"),
                ("\(source)&s3TargetUri=\(Self.encode("s3://another-bucket/x/"))", nil, "s3TargetUri", "refused"),
                ("\(source)&\(target)&compressionLibrary=kakadu", nil, "compressionLibrary", "invalidMessage"),
                (
                    "\(source)&\(target)&compressionLibrary=gdcmconv&transferSyntax=htj2k", nil, "transferSyntax",
                    "invalidMessage"
                ),
                ("\(source)&\(target)&compressionRate=10&targetPSNR=45", nil, "targetPSNR", "invalidMessage"),
                ("\(source)&\(target)&anonymize=yes", nil, "anonymize", "invalidRequest"),
                ("\(source)&\(target)&rate=10", nil, "rate", "invalidMessage"),
                ("s3SourceUri=\(Self.encode(env.uri("empty/")))&\(target)", nil, "s3SourceUri", "refused"),
                (nil, "{not json", "body", "invalidRequest"),
                (nil, "[1, 2]", "body", "invalidRequest"),
                (
                    nil, #"{"s3SourceUri": "\#(env.uri("study/"))", "compressionRate": "100"}"#, "compressionRate",
                    "invalidMessage"
                ),
                (nil, #"{"s3SourceUri": "\#(env.uri("study/"))", "taskId": "bad id"}"#, "taskId", "invalidMessage"),
            ]
            try await withPlainHTTPClient { http in
                try await APIServer.withServer(service: service, logger: quietLogger) { port in
                    let api = APIClient(http: http, port: port)
                    for (query, body, field, code) in cases {
                        let answer = try await api.send(
                            .POST,
                            "/compress-dicom" + (query.map { "?" + $0 } ?? ""),
                            headers: body == nil ? [:] : ["content-type": "application/json"],
                            body: body
                        )
                        #expect(answer.status == 400, "\(field): \(answer)")
                        #expect(answer.errorField == field, "\(answer)")
                        #expect(answer.errorCode == code, "\(field): \(answer)")
                        #expect(answer.headers["content-type"]?.hasPrefix("application/json") == true)
                    }
                    let tooLarge = try await api.send(
                        .POST,
                        "/compress-dicom",
                        body: String(repeating: " ", count: 100_000)
                    )
                    #expect(tooLarge.status == 413)
                    #expect(tooLarge.errorCode == "payloadTooLarge")
                }
            }
            #expect(try await TestLocalStack.messageCount(sqs, queueURL) == 0)
            #expect(try await env.keys(s3, under: "results/").isEmpty)
            #expect(try await env.keys(s3, under: "out/").isEmpty)
        }
    }

    @Test func aSourceOverTheLimitsIsRefusedBeforeAnythingIsWritten() async throws {
        let env = try APILocalStack.require("limits")
        try await env.withClientsAndQueue("limits") { s3, sqs, _, queueURL in
            try await env.uploadStudy(s3, folder: "study/", slices: 3)
            var service = try Self.service(env, s3, sqs, queueURL)
            let query = "s3SourceUri=" + Self.encode(env.uri("study/"))
            try await withPlainHTTPClient { http in
                for (files, bytes, limit) in [(2, 1 << 30, "MAX_FILES_PER_JOB"), (100, 1000, "MAX_JOB_BYTES")] {
                    service.configuration.maxFilesPerJob = files
                    service.configuration.maxJobBytes = bytes
                    try await APIServer.withServer(service: service, logger: quietLogger) { port in
                        let answer = try await APIClient(http: http, port: port).send(.POST, "/compress-dicom?" + query)
                        #expect(answer.status == 400, "\(answer)")
                        #expect(answer.errorCode == "refused")
                        #expect(answer.errorField == "s3SourceUri")
                        #expect(answer.body.contains(limit))
                    }
                }
            }
            #expect(try await TestLocalStack.messageCount(sqs, queueURL) == 0)
            #expect(try await env.keys(s3, under: "results/").isEmpty)
        }
    }

    @Test func aQueueThatRefusesTheMessageLeavesNoQueuedResult() async throws {
        let env = try APILocalStack.require("noqueue")
        try await env.withClientsAndQueue("noqueue") { s3, sqs, _, queueURL in
            try await env.uploadStudy(s3, folder: "study/", slices: 1)
            var service = try Self.service(env, s3, sqs, queueURL)
            service.configuration.queueURL = queueURL + "-does-not-exist"
            try await withPlainHTTPClient { http in
                try await APIServer.withServer(service: service, logger: quietLogger) { port in
                    let answer = try await APIClient(http: http, port: port).send(
                        .POST,
                        "/compress-dicom?s3SourceUri=" + Self.encode(env.uri("study/"))
                    )
                    #expect(answer.status == 503, "\(answer)")
                    #expect(answer.errorCode == "unavailable")
                }
            }
            #expect(try await env.keys(s3, under: "results/").isEmpty)
        }
    }

    @Test func aJSONBodyIsAcceptedAndAnExistingTaskIsAConflict() async throws {
        let env = try APILocalStack.require("json")
        try await env.withClientsAndQueue("json") { s3, sqs, _, queueURL in
            try await env.uploadStudy(s3, folder: "study/", slices: 2)
            let service = try Self.service(env, s3, sqs, queueURL)
            let body = #"""
                {"taskId": "json-1", "s3SourceUri": "\#(env.uri("study/"))", "targetPSNR": 48,
                 "transferSyntax": "htj2k", "qualityCheck": "all"}
                """#
            try await withPlainHTTPClient { http in
                try await APIServer.withServer(service: service, logger: quietLogger) { port in
                    let api = APIClient(http: http, port: port)
                    let accepted = try await api.send(.POST, "/compress-dicom", body: body)
                    #expect(accepted.status == 202, "\(accepted)")
                    #expect(accepted.json?["taskId"] as? String == "json-1")
                    // The default target applied, the options as the worker will run them.
                    #expect(
                        (accepted.json?["s3TargetPath"] as? String)?.hasPrefix(env.uri("out/study-rate100-")) == true
                    )
                    let options = try #require(accepted.json?["options"] as? [String: Any])
                    #expect(options["targetPSNR"] as? Double == 48)
                    #expect(options["transferSyntax"] as? String == "htj2k")
                    let again = try await api.send(.POST, "/compress-dicom", body: body)
                    #expect(again.status == 409)
                    #expect(again.errorField == "taskId")
                }
            }
            // The message is the validated request, which the worker's parser reads back the same.
            let message = try #require(
                try await sqs.receiveMessages(queueURL: queueURL, waitTimeSeconds: 2, logger: quietLogger).first
            )
            let configuration = try env.workerConfiguration(queueURL: queueURL)
            let parsed = try JobRequest.parse(body: message.body, messageId: "m", configuration: configuration)
            #expect(parsed.taskId == "json-1")
            #expect(parsed.options.targetPSNR == 48)
            #expect(parsed.options.transferSyntax == .htj2k)
            #expect(parsed.options.qualityCheck == .all)
            #expect(parsed.target.description == env.uri("out/"))
            #expect(try await TestLocalStack.messageCount(sqs, queueURL) == 1)
        }
    }

    @Test func unknownTaskIs404AndAMalformedTaskIdIs400() async throws {
        let env = try APILocalStack.require("unknown")
        try await env.withClientsAndQueue("unknown") { s3, sqs, _, queueURL in
            let service = try Self.service(env, s3, sqs, queueURL)
            try await withPlainHTTPClient { http in
                try await APIServer.withServer(service: service, logger: quietLogger) { port in
                    let api = APIClient(http: http, port: port)
                    let unknown = try await api.send(.GET, "/compress-dicom/no-such-task")
                    #expect(unknown.status == 404)
                    #expect(unknown.errorCode == "notFound")
                    let malformed = try await api.send(.GET, "/compress-dicom/bad%20id")
                    #expect(malformed.status == 400)
                    #expect(malformed.errorField == "taskId")
                    let route = try await api.send(.GET, "/no/such/route")
                    #expect(route.status == 404)
                    #expect(route.json?["success"] as? Bool == false)
                    let method = try await api.send(.DELETE, "/compress-dicom/results")
                    #expect(method.status == 405)
                    #expect(method.errorCode == "methodNotAllowed")
                    let page = try await api.send(.GET, "/")
                    #expect(page.status == 200)
                    #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
                    // HEAD: the GET's status and headers without the body; still 404 for an unknown task.
                    let head = try await api.send(.HEAD, "/healthz")
                    #expect(head.status == 200)
                    #expect(head.body.isEmpty)
                    #expect(head.headers["content-type"]?.hasPrefix("application/json") == true)
                    #expect(try await api.send(.HEAD, "/compress-dicom/no-such-task").status == 404)
                    #expect(try await api.send(.HEAD, "/no/such/route").status == 404)
                }
            }
        }
    }

    @Test func theAPIKeyIsRequiredOnEveryRouteButHealthzWhenSet() async throws {
        let env = try APILocalStack.require("key")
        try await env.withClientsAndQueue("key") { s3, sqs, _, queueURL in
            let service = try Self.service(env, s3, sqs, queueURL, apiKey: "s3cret-key")
            try await withPlainHTTPClient { http in
                try await APIServer.withServer(service: service, logger: quietLogger) { port in
                    let api = APIClient(http: http, port: port)
                    for (method, path) in [
                        (HTTPMethodName.GET, "/queue"), (.GET, "/"), (.GET, "/compress-dicom/results"),
                        (.POST, "/compress-dicom"), (.GET, "/download?s3Uri=x"), (.GET, "/compress-dicom/x"),
                    ] {
                        let none = try await api.send(method, path)
                        #expect(none.status == 401, "\(path)")
                        #expect(none.errorCode == "unauthorized")
                        let wrong = try await api.send(method, path, headers: ["x-api-key": "s3cret-kez"])
                        #expect(wrong.status == 401, "\(path)")
                    }
                    #expect(try await api.send(.GET, "/healthz").status == 200)
                    let right = try await api.send(.GET, "/queue", headers: ["x-api-key": "s3cret-key"])
                    #expect(right.status == 200, "\(right)")
                    #expect(right.json?["depth"] as? Int == 0)
                }
            }
            // Without a key configured, no header is needed.
            let open = try Self.service(env, s3, sqs, queueURL)
            try await withPlainHTTPClient { http in
                try await APIServer.withServer(service: open, logger: quietLogger) { port in
                    let answer = try await APIClient(http: http, port: port).send(.GET, "/queue")
                    #expect(answer.status == 200)
                }
            }
        }
    }

    /// One router, two transports: the same requests through `serve` and as API Gateway v2 events.
    @Test func serveAndAPIGatewayEventsAnswerTheSame() async throws {
        let env = try APILocalStack.require("both")
        try await env.withClientsAndQueue("both") { s3, sqs, _, queueURL in
            try await env.uploadStudy(s3, folder: "study/", slices: 1)
            let service = try Self.service(env, s3, sqs, queueURL, apiKey: "both-key")
            let key = ["x-api-key": "both-key"]
            let requests: [(HTTPMethodName, String, String, [String: String], String?)] = [
                (.GET, "/healthz", "", [:], nil),
                (.GET, "/queue", "", [:], nil),
                (.GET, "/compress-dicom/no-such-task", "", key, nil),
                (.GET, "/compress-dicom/bad%20id", "", key, nil),
                (.GET, "/compress-dicom/results", "", key, nil),
                (.GET, "/compress-dicom/results", "limit=0", key, nil),
                (.GET, "/compress-dicom/benchmark", "", key, nil),
                (.POST, "/compress-dicom", "compressionRate=abc", key, nil),
                (.POST, "/compress-dicom", "s3SourceUri=\(Self.encode("s3://another-bucket/x/"))", key, nil),
                (.POST, "/compress-dicom", "", key, "{not json"),
                (.POST, "/compress-dicom", "", key, String(repeating: " ", count: 70_000)),
                (.GET, "/download", "s3Uri=\(Self.encode("s3://another-bucket/x.zip"))", key, nil),
                (.GET, "/download", "s3Uri=\(Self.encode(env.uri("study/none.zip")))", key, nil),
                (.DELETE, "/queue", "", key, nil),
                (.GET, "/nowhere", "", key, nil),
            ]
            let gateway = APIGatewayHandler(service: service)
            try await withPlainHTTPClient { http in
                try await APIServer.withServer(service: service, logger: quietLogger) { port in
                    let api = APIClient(http: http, port: port)
                    for (method, path, query, headers, body) in requests {
                        let served = try await api.send(
                            method,
                            path + (query.isEmpty ? "" : "?" + query),
                            headers: headers,
                            body: body
                        )
                        let event = Self.gatewayEvent(method.rawValue, path, query, headers, body)
                        let answer = await gateway.respond(to: ByteBuffer(bytes: event), logger: quietLogger)
                        #expect(answer.statusCode == served.status, "\(method) \(path)?\(query)")
                        #expect(answer.body == served.body, "\(method) \(path)?\(query)")
                        #expect(answer.headers["content-type"] == served.headers["content-type"])
                        #expect(!answer.isBase64Encoded)
                        #expect(served.status < 500, "\(method) \(path): \(served)")
                    }
                    // With a queued task: its status (with the queue position) and the list, both ways.
                    let submit = "taskId=both-1&s3SourceUri=" + Self.encode(env.uri("study/"))
                    let accepted = try await api.send(.POST, "/compress-dicom?" + submit, headers: key)
                    #expect(accepted.status == 202, "\(accepted)")
                    for path in ["/compress-dicom/both-1", "/compress-dicom/results"] {
                        let served = try await api.send(.GET, path, headers: key)
                        let event = Self.gatewayEvent("GET", path, "", key, nil)
                        let answer = await gateway.respond(to: ByteBuffer(bytes: event), logger: quietLogger)
                        #expect(served.status == 200)
                        #expect(answer.statusCode == served.status, "\(path)")
                        #expect(answer.body == served.body, "\(path)")
                    }
                    let again = Self.gatewayEvent("POST", "/compress-dicom", submit, key, nil)
                    let conflict = await gateway.respond(to: ByteBuffer(bytes: again), logger: quietLogger)
                    #expect(conflict.statusCode == 409)
                }
            }
            // A base64 body is decoded like API Gateway means it.
            let base64 = Self.gatewayEvent("POST", "/compress-dicom", "", key, "{not json", base64: true)
            let decoded = await gateway.respond(to: ByteBuffer(bytes: base64), logger: quietLogger)
            #expect(decoded.statusCode == 400)
            #expect(decoded.body.contains("\"field\" : \"body\""))
            #expect(try await TestLocalStack.messageCount(sqs, queueURL) == 1)
        }
    }

    /// An API Gateway HTTP API event, payload 2.0, as API Gateway sends it.
    static func gatewayEvent(
        _ method: String,
        _ path: String,
        _ query: String,
        _ headers: [String: String],
        _ body: String?,
        base64: Bool = false
    ) -> Data {
        var event: [String: Any] = [
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
            "headers": headers.merging(["host": "abc.execute-api.us-east-1.amazonaws.com"]) { $1 },
            "requestContext": [
                "accountId": "123456789012", "apiId": "abc", "requestId": "req-1", "stage": "$default",
                "http": ["method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1"],
            ] as [String: Any],
            "isBase64Encoded": base64,
        ]
        if let body { event["body"] = base64 ? Data(body.utf8).base64EncodedString() : body }
        return (try? JSONSerialization.data(withJSONObject: event)) ?? Data()
    }
}
