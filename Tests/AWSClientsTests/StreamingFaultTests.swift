// The scripted server takes its behaviour as a closure before the test body's trailing closure.
// swift-format-ignore-file: OnlyOneTrailingClosureArgument

import AWSClients
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// Streamed downloads and multipart uploads under faults: the object that arrives (or is stored)
/// must be exactly the bytes that were sent, whatever fails on the way.
struct StreamingFaultTests {
    static let mib = 1024 * 1024

    @Test func aDownloadResetMidBodyResumesWithRangeAndIfMatch() async throws {
        let object = testBytes(count: 3 * Self.mib + 123, seed: 7)
        let etag = MiniS3.etag(object)
        let s3 = MiniS3(fault: { request, index in
            // The first GET breaks after a third of the body.
            index == 0
                ? .resetMidBody(
                    .ok,
                    headers: [("ETag", etag)],
                    partialBody: ByteBuffer(bytes: object[..<Self.mib]),
                    fullLength: object.count
                )
                : nil
        })
        s3.state.withLock { $0.objects["/bucket/big.bin"] = object }
        try await FaultServer.withServer(s3.behaviour) { server in
            try await withAWSHTTPClient { http in
                let client = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let download = try await client.getObject(bucket: "bucket", key: "big.bin", logger: quietLogger)
                var received: [UInt8] = []
                for try await chunk in download.body { received += chunk.bytes }
                #expect(received == object)
            }
            let requests = server.requests
            #expect(requests.count == 2)
            // The resume asks for the rest, pinned to the version it started with.
            let range = try #require(requests[1].header("range"))
            let start = try #require(Int(range.dropFirst("bytes=".count).prefix { $0 != "-" }))
            #expect(start > 0 && start <= Self.mib)
            #expect(range == "bytes=\(start)-\(object.count - 1)")
            #expect(requests[1].header("if-match") == etag)
        }
    }

    @Test func aDownloadClosedEarlyResumes() async throws {
        let object = testBytes(count: 2 * Self.mib + 77, seed: 12)
        let etag = MiniS3.etag(object)
        let s3 = MiniS3(fault: { request, index in
            index == 0
                ? .closeMidBody(
                    .ok,
                    headers: [("ETag", etag)],
                    partialBody: ByteBuffer(bytes: object[..<500_000]),
                    fullLength: object.count
                )
                : nil
        })
        s3.state.withLock { $0.objects["/bucket/k"] = object }
        try await FaultServer.withServer(s3.behaviour) { server in
            try await withAWSHTTPClient { http in
                let client = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let bytes = try await client.getObjectBytes(bucket: "bucket", key: "k", logger: quietLogger)
                #expect(bytes.bytes == object)
            }
            #expect(server.requests.count == 2)
            // The HTTP client may drop bytes it had buffered when the connection ended; the resume
            // starts after the last byte actually delivered.
            let range = try #require(server.requests[1].header("range"))
            let start = try #require(Int(range.dropFirst("bytes=".count).prefix { $0 != "-" }))
            #expect(start > 0 && start <= 500_000)
            #expect(range == "bytes=\(start)-\(object.count - 1)")
        }
    }

    @Test func aResumedDownloadFailsIfTheObjectChanged() async throws {
        let object = testBytes(count: 2 * Self.mib, seed: 8)
        let s3 = MiniS3(fault: { _, index in
            index == 0
                ? .resetMidBody(
                    .ok,
                    headers: [("ETag", "\"old-version\"")],
                    partialBody: ByteBuffer(bytes: object[..<1000]),
                    fullLength: object.count
                )
                : nil
        })
        s3.state.withLock { $0.objects["/bucket/k"] = object }
        try await FaultServer.withServer(s3.behaviour) { server in
            try await withAWSHTTPClient { http in
                let client = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let download = try await client.getObject(bucket: "bucket", key: "k", logger: quietLogger)
                let error = await #expect(throws: S3Error.self) {
                    for try await _ in download.body {}
                }
                #expect(error?.code == .preconditionFailed)
            }
            #expect(server.requests.count == 2)
        }
    }

    @Test func multipartUploadSurvivesResetsAnd503sByteExact() async throws {
        let object = testBytes(count: 23 * Self.mib + 4567, seed: 3)
        let partAttempts = Mutex<[Int: Int]>([:])
        let s3 = MiniS3(fault: { request, _ in
            guard request.method == .PUT,
                let number = request.query.split(separator: "&")
                    .first(where: { $0.hasPrefix("partNumber=") }).flatMap({ Int($0.dropFirst(11)) })
            else { return nil }
            let attempt = partAttempts.withLock { attempts -> Int in
                attempts[number, default: 0] += 1
                return attempts[number, default: 0]
            }
            // Part 2: the server took the whole body, then the connection died (an ambiguous failure).
            if number == 2 && attempt == 1 { return .reset }
            // Part 3: two 503s in a row.
            if number == 3 && attempt <= 2 { return .respond(.serviceUnavailable, body: s3ErrorBody("SlowDown")) }
            return nil
        })
        try await FaultServer.withServer(s3.behaviour) { server in
            try await withAWSHTTPClient { http in
                let client = S3Client(
                    configuration: try faultConfiguration(
                        endpoint: server.endpoint,
                        maxAttempts: 3,
                        sleeps: SleepRecorder()
                    ),
                    httpClient: http
                )
                let result = try await client.withMultipartUpload(
                    bucket: "bucket",
                    key: "out/study.zip",
                    options: S3MultipartUploadOptions(partSize: 5 * Self.mib, maxConcurrentParts: 2),
                    logger: quietLogger
                ) { writer in
                    // Odd-sized writes, as a ZIP writer produces.
                    var offset = 0
                    var size = 1
                    while offset < object.count {
                        let end = min(object.count, offset + size)
                        try await writer.write(object[offset..<end])
                        offset = end
                        size = size * 3 % 1_000_003 + 17
                    }
                }
                #expect(result.etag?.hasSuffix("-5\"") == true)
            }
            #expect(s3.object("/bucket/out/study.zip") == object)
            #expect(s3.openUploads == 0)
            #expect(partAttempts.withLock { $0 } == [1: 1, 2: 2, 3: 3, 4: 1, 5: 1])
            // Every part but the last is exactly partSize.
            let partSizes = server.requests.filter { $0.method == .PUT }.map(\.body.readableBytes)
            #expect(partSizes.filter { $0 != 5 * Self.mib }.count == 1)
        }
    }

    @Test func anErrorInsideA200CompleteIsRetried() async throws {
        let completes = Mutex(0)
        let s3 = MiniS3(fault: { request, _ in
            guard request.method == .POST, request.query.hasPrefix("uploadId=") else { return nil }
            let count = completes.withLock { count -> Int in
                count += 1
                return count
            }
            return count == 1
                ? .respond(.ok, body: s3ErrorBody("InternalError", "We encountered an internal error.")) : nil
        })
        let object = testBytes(count: 6 * Self.mib, seed: 4)
        try await FaultServer.withServer(s3.behaviour) { server in
            try await withAWSHTTPClient { http in
                let client = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                try await client.withMultipartUpload(
                    bucket: "bucket",
                    key: "k",
                    options: S3MultipartUploadOptions(partSize: 5 * Self.mib, ifNoneMatch: true),
                    logger: quietLogger
                ) { writer in try await writer.write(object) }
            }
            #expect(completes.withLock { $0 } == 2)
            #expect(s3.object("/bucket/k") == object)
            let completeRequests = server.requests.filter { $0.method == .POST && $0.query.hasPrefix("uploadId=") }
            #expect(completeRequests.allSatisfy { $0.header("if-none-match") == "*" })
        }
    }

    @Test func aFinalErrorInsideA200CompleteAbortsTheUpload() async throws {
        let s3 = MiniS3(fault: { request, _ in
            request.method == .POST && request.query.hasPrefix("uploadId=")
                ? .respond(
                    .ok,
                    body: s3ErrorBody("InvalidPart", "One or more of the specified parts could not be found.")
                )
                : nil
        })
        try await FaultServer.withServer(s3.behaviour) { server in
            try await withAWSHTTPClient { http in
                let client = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let error = await #expect(throws: S3Error.self) {
                    try await client.withMultipartUpload(
                        bucket: "bucket",
                        key: "k",
                        options: S3MultipartUploadOptions(partSize: 5 * Self.mib),
                        logger: quietLogger
                    ) { writer in try await writer.write(testBytes(count: 6 * Self.mib, seed: 5)) }
                }
                #expect(error?.code == .invalidRequest)
                #expect(error?.errorCode == "InvalidPart")
                #expect(error?.statusCode == 200)
            }
            #expect(server.requests.filter { $0.method == .POST && $0.query.hasPrefix("uploadId=") }.count == 1)
            #expect(s3.aborted == ["upload-1"])
            #expect(s3.object("/bucket/k") == nil)
        }
    }

    @Test func aFailingProducerAbortsTheUpload() async throws {
        struct ProducerFailed: Error {}
        let s3 = MiniS3()
        try await FaultServer.withServer(s3.behaviour) { server in
            try await withAWSHTTPClient { http in
                let client = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                await #expect(throws: ProducerFailed.self) {
                    try await client.withMultipartUpload(
                        bucket: "bucket",
                        key: "k",
                        options: S3MultipartUploadOptions(partSize: 5 * Self.mib),
                        logger: quietLogger
                    ) { writer in
                        try await writer.write(testBytes(count: 11 * Self.mib, seed: 6))
                        throw ProducerFailed()
                    }
                }
            }
            #expect(s3.aborted == ["upload-1"])
            #expect(s3.openUploads == 0)
            #expect(s3.object("/bucket/k") == nil)
        }
    }

    @Test func aPartThatFailsForGoodStopsTheProducerAndAborts() async throws {
        let s3 = MiniS3(fault: { request, _ in
            request.method == .PUT && request.query.contains("partNumber=2&")
                ? .respond(.forbidden, body: s3ErrorBody("AccessDenied")) : nil
        })
        try await FaultServer.withServer(s3.behaviour) { server in
            try await withAWSHTTPClient { http in
                let client = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let written = Mutex(0)
                let error = await #expect(throws: S3Error.self) {
                    try await client.withMultipartUpload(
                        bucket: "bucket",
                        key: "k",
                        options: S3MultipartUploadOptions(partSize: 5 * Self.mib, maxConcurrentParts: 1),
                        logger: quietLogger
                    ) { writer in
                        // An endless producer: only the failure can stop it.
                        let chunk = ByteBuffer(bytes: testBytes(count: Self.mib, seed: 9))
                        while true {
                            try await writer.write(chunk)
                            written.withLock { $0 += 1 }
                        }
                    }
                }
                #expect(error?.code == .accessDenied)
                // Backpressure: the producer got at most a few parts ahead of the failed one.
                #expect(written.withLock { $0 } < 40)
            }
            #expect(s3.aborted == ["upload-1"])
        }
    }

    @Test func cancellingAnUploadAbortsIt() async throws {
        let s3 = MiniS3(fault: { request, _ in
            // Parts hang, so the upload is in flight when the task is cancelled.
            request.method == .PUT && request.query.contains("partNumber=")
                ? .delay(.seconds(30), then: .respond(.ok)) : nil
        })
        try await FaultServer.withServer(s3.behaviour) { server in
            try await withAWSHTTPClient { http in
                let client = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let task = Task {
                    try await client.withMultipartUpload(
                        bucket: "bucket",
                        key: "k",
                        options: S3MultipartUploadOptions(partSize: 5 * Self.mib),
                        logger: quietLogger
                    ) { writer in try await writer.write(testBytes(count: 12 * Self.mib, seed: 10)) }
                }
                while !server.requests.contains(where: { $0.query.contains("partNumber=") }) {
                    try await Task.sleep(for: .milliseconds(10))
                }
                task.cancel()
                await #expect(throws: (any Error).self) { try await task.value }
            }
            #expect(s3.aborted == ["upload-1"])
        }
    }

    @Test func aSmallObjectIsOnePutAndConditionalWritesReportAlreadyExists() async throws {
        let s3 = MiniS3()
        try await FaultServer.withServer(s3.behaviour) { server in
            try await withAWSHTTPClient { http in
                let client = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let options = S3MultipartUploadOptions(partSize: 5 * Self.mib, ifNoneMatch: true)
                try await client.withMultipartUpload(bucket: "bucket", key: "k", options: options, logger: quietLogger)
                { writer in
                    try await writer.write(Array("first".utf8))
                }
                let error = await #expect(throws: S3Error.self) {
                    try await client.withMultipartUpload(
                        bucket: "bucket",
                        key: "k",
                        options: options,
                        logger: quietLogger
                    ) { writer in
                        try await writer.write(Array("second".utf8))
                    }
                }
                #expect(error?.code == .alreadyExists)
                #expect(error?.errorCode == "PreconditionFailed")
            }
            #expect(s3.object("/bucket/k") == Array("first".utf8))
            // A first attempt's 412 is final: no check whether it was our own write.
            #expect(server.requests.map(\.method) == [.PUT, .PUT])
        }
    }

    @Test func aConditionalPutRetriedAfterItLandedSucceeds() async throws {
        let puts = Mutex(0)
        let s3 = MiniS3(fault: { request, _ in nil })
        let body = ByteBuffer(string: "payload")
        let wrapped = MiniS3(fault: { request, _ in
            guard request.method == .PUT else { return nil }
            let count = puts.withLock { count -> Int in
                count += 1
                return count
            }
            // The first PUT is stored, but the answer is lost.
            if count == 1 {
                _ = s3.answer(request)
                return .reset
            }
            return s3.answer(request)
        })
        try await FaultServer.withServer({ request, index in
            request.method == .HEAD ? s3.answer(request) : wrapped.behaviour(request, index)
        }) { server in
            try await withAWSHTTPClient { http in
                let client = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let result = try await client.putObject(
                    bucket: "bucket",
                    key: "k",
                    body: body,
                    ifNoneMatch: true,
                    logger: quietLogger
                )
                #expect(result.etag == MiniS3.etag(body.bytes))
            }
            #expect(server.requests.map(\.method) == [.PUT, .PUT, .HEAD])
        }
    }

    @Test(arguments: [
        (HTTPResponseStatus.preconditionFailed, "PreconditionFailed"), (.conflict, "ConditionalRequestConflict"),
    ])
    func conditionalWriteConflictsAreAlreadyExists(status: HTTPResponseStatus, code: String) async throws {
        try await FaultServer.withServer({ request, _ in
            request.method == .HEAD
                ? .respond(.ok, headers: [("ETag", "\"other\""), ("Content-Length", "3")])
                : .respond(status, body: s3ErrorBody(code))
        }) { server in
            try await withAWSHTTPClient { http in
                let client = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let error = await #expect(throws: S3Error.self) {
                    try await client.putObject(
                        bucket: "b",
                        key: "k",
                        body: ByteBuffer(string: "x"),
                        ifNoneMatch: true,
                        logger: quietLogger
                    )
                }
                #expect(error?.code == .alreadyExists)
                #expect(error?.errorCode == code)
            }
            #expect(server.requests.map(\.method) == [.PUT])
        }
    }

    @Test func aConditionalPutRetriedAfterA503FindsSomeoneElsesObject() async throws {
        try await FaultServer.withServer({ request, index in
            switch (request.method, index) {
            case (.PUT, 0): .respond(.serviceUnavailable, body: s3ErrorBody("SlowDown"))
            case (.PUT, _): .respond(.preconditionFailed, body: s3ErrorBody("PreconditionFailed"))
            default: .respond(.ok, headers: [("ETag", "\"someone-else\""), ("Content-Length", "5")])
            }
        }) { server in
            try await withAWSHTTPClient { http in
                let client = S3Client(
                    configuration: try faultConfiguration(endpoint: server.endpoint, sleeps: SleepRecorder()),
                    httpClient: http
                )
                let error = await #expect(throws: S3Error.self) {
                    try await client.putObject(
                        bucket: "b",
                        key: "k",
                        body: ByteBuffer(string: "mine"),
                        ifNoneMatch: true,
                        logger: quietLogger
                    )
                }
                #expect(error?.code == .alreadyExists)
            }
            // After a retry, the 412 is checked against the object's ETag: not ours.
            #expect(server.requests.map(\.method) == [.PUT, .PUT, .HEAD])
        }
    }
}
