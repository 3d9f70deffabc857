import AWSClients
import Foundation
import NIOCore
import TestSupport
import Testing
import Transcoder

@testable import CompressionJob

/// The queue handler end to end against LocalStack: sample study in S3 → message → ZIP, result
/// JSON and EMF line; redelivery, overwrite numbering, refusal and cancellation.
@Suite(
    .enabled(if: JobLocalStack.shouldRun, "needs DICOM_J2K_TEST_ENDPOINT (scripts/test.sh starts LocalStack)")
)
struct S3JobTests {
    func handler(
        _ s3: S3Client,
        _ metrics: MetricLines,
        environment: [String: String] = [:]
    ) throws
        -> CompressionJobHandler
    {
        var configuration = try WorkerConfiguration(environment: environment)
        configuration.workerThreads = 2
        return CompressionJobHandler(
            configuration: configuration,
            mode: .poll,
            s3: s3,
            version: "test",
            host: "test-host",
            metricsOutput: metrics.output
        )
    }

    @Test func aSixtyFileStudyBecomesOneZipOneResultAndOneMetricLine() async throws {
        let env = try JobLocalStack.require("study60")
        let python = try #require(
            try TestEnvironment.require(TestEnvironment.python, "the test venv's python"),
            "DICOM_J2K_PYTHON"
        )
        try await env.withS3 { s3 in
            let keys = try await env.uploadStudy(s3, folder: "download/ct_study@v2/", slices: 60)
            try await s3.putObject(
                bucket: env.bucket,
                key: env.prefix + "download/ct_study@v2/empty folder/",
                body: ByteBuffer(),
                logger: quietLogger
            )
            let metrics = MetricLines()
            let handler = try handler(s3, metrics)
            let message = try QueueMessage.job(
                [
                    "taskId": "study60-\(UUID().uuidString.prefix(6))",
                    "s3SourceUri": env.uri("download/ct_study@v2/"),
                    "s3TargetUri": env.uri("out/"),
                    "compressionRate": 20,
                    "compressionLibrary": "dcmjs-codecs",
                ],
                receiveCount: 2
            )
            let outcome = await handler.process(message, logger: quietLogger)
            #expect(outcome.disposition == .completed)
            let result = try #require(outcome.result)
            #expect(result.status == .completed)
            #expect(result.success)

            // Named by the rules: folder label, rate, the job's start in UTC.
            let started = try #require(result.startedAt)
            let zipName = "ct-studyv2-rate20-\(OutputNaming.timestamp(started)).zip"
            #expect(result.s3CompressedPath == env.uri("out/" + zipName))
            #expect(try await env.keys(s3, under: "out/") == ["out/" + zipName, "out/results/\(result.taskId).json"])

            // The stored result is the returned one, with every field.
            let stored = try #require(
                try await S3ResultStore(s3: s3, prefix: S3URI(env.uri("out/results/"))!, logger: quietLogger)
                    .load(taskId: result.taskId)
            )
            #expect(stored == (try roundTripped(result)))
            #expect(stored.options.compressionLibrary == .openjpeg)
            #expect(stored.worker.attempt == 2)
            #expect(stored.worker.mode == .poll)
            #expect(stored.createdAt != nil && stored.completedAt != nil)
            #expect(stored.error == nil)
            #expect(stored.files.count == 61)
            #expect(stored.files.filter { $0.status == .compressed }.map(\.key) == keys)
            #expect(stored.files.first { $0.status == .skipped }?.key == "empty folder/")
            let stats = try #require(stored.compressionStats)
            #expect(stats.compressedFiles == 60)
            #expect(stats.queueWaitTime >= 2)
            #expect(stats.downloadTime > 0 && stats.compressionTime > 0 && stats.uploadTime > 0)
            #expect(stats.memoryPeak > 0)
            #expect(stored.quality?.filesChecked == 3)
            let json = try #require(
                try JSONSerialization.jsonObject(with: JobResult.makeEncoder().encode(stored)) as? [String: Any]
            )
            for field in [
                "success", "taskId", "status", "timestamp", "createdAt", "startedAt", "completedAt", "s3SourceUri",
                "s3CompressedPath", "compressionStats", "quality", "options", "files", "worker",
            ] {
                #expect(json[field] != nil, "\(field)")
            }

            // Every entry decodes in pydicom.
            let zip = try await s3.getObjectBytes(
                bucket: env.bucket,
                key: env.prefix + "out/" + zipName,
                logger: quietLogger
            )
            try await withTemporaryDirectory { folder in
                let file = folder.appendingPathComponent("out.zip")
                try Data(zip.readableBytesView).write(to: file)
                let check = try runProcess(
                    python,
                    [TestEnvironment.testsFolder("python/zip_decode_check.py").path, file.path]
                )
                #expect(check.status == 0, "\(check.stderr)")
                let report = try #require(
                    try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any]
                )
                #expect(report["entries"] as? [String] == keys)
                #expect(report["decoded"] as? Int == 60)
                #expect(report["errors"] as? [String] == [])
                #expect(report["transfer_syntaxes"] as? [String] == ["1.2.840.10008.1.2.4.91"])
            }

            // One EMF line: dimensions library and outcome, the task id as a property.
            #expect(metrics.all.count == 1)
            let line = try #require(metrics.all.first)
            let emf = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let directive = try #require(
                ((emf["_aws"] as? [String: Any])?["CloudWatchMetrics"] as? [[String: Any]])?.first
            )
            #expect(directive["Namespace"] as? String == "DicomCompression")
            #expect(directive["Dimensions"] as? [[String]] == [["library", "codec", "outcome"]])
            #expect(emf["taskId"] as? String == result.taskId)
            #expect(emf["outcome"] as? String == "completed")
            #expect((emf["FilesProcessed"] as? NSNumber)?.intValue == 61)

            // The same message again: acknowledged, not redone; still one ZIP and one result.
            let again = await handler.process(message, logger: quietLogger)
            #expect(again.disposition == .completed)
            #expect(again.result == stored)
            #expect(try await env.keys(s3, under: "out/") == ["out/" + zipName, "out/results/\(result.taskId).json"])
            #expect(metrics.all.count == 1)
        }
    }

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/gdcmconv") || TestEnvironment.isCI,
            "needs gdcmconv (Debian: libgdcm-tools)"
        )
    )
    func theGdcmconvLibraryRunsThroughTheSamePool() async throws {
        let env = try JobLocalStack.require("gdcm")
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/gdcmconv"), "gdcmconv is not installed")
        try await env.withS3 { s3 in
            let keys = try await env.uploadStudy(s3, folder: "in/", slices: 4)
            let message = try QueueMessage.job([
                "taskId": "gdcm-1", "s3SourceUri": env.uri("in/"), "s3TargetUri": env.uri("out/"),
                "compressionLibrary": "gdcmconv", "compressionRate": 10, "qualityCheck": "all",
            ])
            let outcome = await (try handler(s3, MetricLines())).process(message, logger: quietLogger)
            #expect(outcome.disposition == .completed)
            let result = try #require(outcome.result)
            #expect(result.options.compressionLibrary == .gdcmconv)
            #expect(result.files.map(\.key) == keys)
            #expect(result.files.allSatisfy { $0.status == .compressed })
            #expect(result.quality?.filesChecked == 4)
        }
    }

    @Test func takenNamesGetNumbersAndOverwriteReplaces() async throws {
        let env = try JobLocalStack.require("naming")
        try await env.withS3 { s3 in
            _ = try await env.uploadStudy(s3, folder: "in/", slices: 2)
            try await s3.putObject(
                bucket: env.bucket,
                key: env.prefix + "out/fixed.zip",
                body: ByteBuffer(string: "someone else's"),
                logger: quietLogger
            )
            let handler = try handler(s3, MetricLines())
            func run(_ taskId: String, overwrite: Bool) async throws -> JobResult? {
                let message = try QueueMessage.job([
                    "taskId": taskId, "s3SourceUri": env.uri("in/"), "s3TargetUri": env.uri("out/"),
                    "outputFilename": "fixed", "overwriteExisting": overwrite,
                ])
                let outcome = await handler.process(message, logger: quietLogger)
                #expect(outcome.disposition == .completed)
                return outcome.result
            }
            let first = try await run("naming-a", overwrite: false)
            let second = try await run("naming-b", overwrite: false)
            #expect(first?.s3CompressedPath == env.uri("out/fixed-1.zip"))
            #expect(second?.s3CompressedPath == env.uri("out/fixed-2.zip"))
            let third = try await run("naming-c", overwrite: true)
            #expect(third?.s3CompressedPath == env.uri("out/fixed.zip"))
            let replaced = try await s3.headObject(
                bucket: env.bucket,
                key: env.prefix + "out/fixed.zip",
                logger: quietLogger
            )
            #expect(replaced.userMetadata["task-id"] == "naming-c")
            #expect(
                try await env.keys(s3, under: "out/").filter { $0.hasSuffix(".zip") }
                    == ["out/fixed-1.zip", "out/fixed-2.zip", "out/fixed.zip"]
            )
        }
    }

    @Test func conditionalMultipartCompleteRefusesATakenKeyAndAborts() async throws {
        let env = try JobLocalStack.require("ifnonematch")
        try await env.withS3 { s3 in
            let key = env.prefix + "taken.zip"
            try await s3.putObject(bucket: env.bucket, key: key, body: ByteBuffer(string: "first"), logger: quietLogger)
            await #expect {
                try await s3.withMultipartUpload(
                    bucket: env.bucket,
                    key: key,
                    options: S3MultipartUploadOptions(partSize: 5 << 20, ifNoneMatch: true),
                    logger: quietLogger
                ) { writer in
                    try await writer.write([UInt8](repeating: 7, count: 11 << 20))
                }
            } throws: { error in
                (error as? S3Error)?.code == .alreadyExists
            }
            let body = try await s3.getObjectBytes(bucket: env.bucket, key: key, logger: quietLogger)
            #expect(String(buffer: body) == "first")
            #expect(
                try await s3.listMultipartUploads(bucket: env.bucket, prefix: env.prefix, logger: quietLogger).isEmpty
            )
        }
    }

    @Test func aCancelledJobLeavesNoObjectAndNoUploadAndAsksForRetry() async throws {
        let env = try JobLocalStack.require("cancel")
        try await env.withS3 { s3 in
            // Lossless 256×256 slices: the archive passes the 5 MiB part size, so parts are in flight.
            _ = try await env.uploadStudy(s3, folder: "in/", slices: 120, rows: 256, columns: 256)
            let handler = try handler(s3, MetricLines(), environment: ["UPLOAD_PART_BYTES": "5242880"])
            let message = try QueueMessage.job([
                "taskId": "cancel-1", "s3SourceUri": env.uri("in/"), "s3TargetUri": env.uri("out/"),
                "compressionRate": 1, "qualityCheck": "none",
            ])
            let task = Task { await handler.process(message, logger: quietLogger) }
            // Cancel once the upload has started (or after 20 s at the latest).
            for _ in 0..<200 {
                if try await !s3.listMultipartUploads(
                    bucket: env.bucket,
                    prefix: env.prefix + "out/",
                    logger: quietLogger
                )
                .isEmpty {
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            task.cancel()
            let outcome = await task.value
            guard case .retry = outcome.disposition else {
                Issue.record("expected retry, got \(outcome.disposition)")
                return
            }
            #expect(outcome.result?.error?.code == .cancelled)
            #expect(try await env.keys(s3, under: "out/") == ["out/results/cancel-1.json"])
            #expect(
                try await s3.listMultipartUploads(bucket: env.bucket, prefix: env.prefix, logger: quietLogger).isEmpty
            )
            // The failed result keeps the target and start time for the redelivery, which completes.
            let failed = try #require(outcome.result)
            let redelivered = await handler.process(message, logger: quietLogger)
            #expect(redelivered.disposition == .completed)
            #expect(redelivered.result?.s3CompressedPath == failed.s3CompressedPath)
            let firstStart = try #require(failed.startedAt)
            let secondStart = try #require(redelivered.result?.startedAt)
            #expect(abs(firstStart.timeIntervalSince(secondStart)) < 1)
            #expect(try await env.keys(s3, under: "out/").filter { $0.hasSuffix(".zip") }.count == 1)
        }
    }

    @Test func malformedAndRefusedMessagesAreRejectedWithAFailedResult() async throws {
        let env = try JobLocalStack.require("reject")
        try await env.withS3 { s3 in
            let handler = try handler(
                s3,
                MetricLines(),
                environment: ["DEFAULT_TARGET_URI": env.uri("out/"), "ALLOWED_BUCKETS": env.bucket]
            )
            let store = S3ResultStore(s3: s3, prefix: S3URI(env.uri("out/results/"))!, logger: quietLogger)

            let malformed = QueueMessage(messageId: "m-1", body: #"{"taskId":"bad-1","compressionRate":"high"}"#)
            let first = await handler.process(malformed, logger: quietLogger)
            guard case .rejected(let reason) = first.disposition else {
                Issue.record("expected rejected, got \(first.disposition)")
                return
            }
            #expect(reason.contains("compressionRate"))
            let stored = try #require(try await store.load(taskId: "bad-1"))
            #expect(stored.status == .failed)
            #expect(stored.error?.code == .invalidMessage)
            #expect(stored.error?.field == "compressionRate")

            let foreign = try QueueMessage.job([
                "taskId": "bad-2", "s3SourceUri": "s3://some-other-bucket/x/", "s3TargetUri": env.uri("out/"),
            ])
            let second = await handler.process(foreign, logger: quietLogger)
            guard case .rejected = second.disposition else {
                Issue.record("expected rejected, got \(second.disposition)")
                return
            }
            #expect(try await store.load(taskId: "bad-2")?.error?.code == .refused)

            let conflicting = try QueueMessage.job([
                "taskId": "bad-3", "s3SourceUri": env.uri("in/"), "s3TargetUri": env.uri("out/"),
                "compressionLibrary": "gdcmconv", "transferSyntax": "htj2k",
            ])
            let third = await handler.process(conflicting, logger: quietLogger)
            guard case .rejected = third.disposition else {
                Issue.record("expected rejected, got \(third.disposition)")
                return
            }
            let refused = try #require(try await store.load(taskId: "bad-3"))
            #expect(refused.error?.code == .invalidMessage)
            #expect(refused.error?.field == "transferSyntax")
            #expect(try await env.keys(s3, under: "out/").allSatisfy { $0.hasPrefix("out/results/") })
        }
    }
}

/// The document as stored: ISO 8601 dates keep whole seconds.
func roundTripped(_ result: JobResult) throws -> JobResult {
    try JobResult.makeDecoder().decode(JobResult.self, from: JobResult.makeEncoder().encode(result))
}
