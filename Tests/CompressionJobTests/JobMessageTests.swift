import AWSClients
import Foundation
import Logging
import Testing
import Transcoder

@testable import CompressionJob

/// Every field of the job message: defaults, and the error (naming the field) for each wrong value.
@Suite struct JobMessageTests {
    let configuration: WorkerConfiguration = {
        var configuration = WorkerConfiguration()
        configuration.defaultSourceURI = S3URI("s3://src/download/study/")
        configuration.defaultTargetURI = S3URI("s3://dst/out/")
        return configuration
    }()

    func parse(_ body: String) throws(JobError) -> JobRequest {
        try JobRequest.parse(body: body, messageId: "abc-123", configuration: configuration)
    }

    @Test func anEmptyObjectTakesEveryDefault() throws {
        let request = try parse("{}")
        #expect(request.taskId == "comp-abc-123")
        #expect(request.source == S3URI("s3://src/download/study/"))
        #expect(request.target == S3URI("s3://dst/out/"))
        #expect(request.options == JobOptions())
    }

    @Test func everyFieldIsRead() throws {
        let request = try parse(
            """
            {"taskId":"t.1_x-2","s3SourceUri":"s3://a-b/p/q","s3TargetUri":"s3://c.d/","compressionRate":12.5,
             "compressionLibrary":"gdcmconv","anonymize":false,"outputFilename":"x y.zip","overwriteExisting":true,
             "qualityCheck":"all","transferSyntax":"j2k"}
            """
        )
        #expect(request.taskId == "t.1_x-2")
        #expect(request.source == S3URI(bucket: "a-b", key: "p/q/"))
        #expect(request.target == S3URI(bucket: "c.d", key: ""))
        #expect(request.options.compressionRate == 12.5)
        #expect(request.options.compressionLibrary == .gdcmconv)
        #expect(request.options.outputFilename == "x y.zip")
        #expect(request.options.overwriteExisting)
        #expect(request.options.qualityCheck == .all)
        #expect(try parse(#"{"compressionLibrary":"dcmjs-codecs"}"#).options.compressionLibrary == .openjpeg)
        #expect(try parse(#"{"targetPSNR":48.5}"#).options.targetPSNR == 48.5)
        #expect(try parse(#"{"maxError":3}"#).options.maxError == 3)
        #expect(try parse(#"{"transferSyntax":"htj2k"}"#).options.transferSyntax == .htj2k)
    }

    @Test(
        arguments: [
            ("[1]", nil),
            ("not json", nil),
            (#"{"taskID":"x"}"#, "taskID"),
            (#"{"taskId":""}"#, "taskId"),
            (#"{"taskId":"a/b"}"#, "taskId"),
            (#"{"taskId":7}"#, "taskId"),
            (#"{"s3SourceUri":"https://x/y"}"#, "s3SourceUri"),
            (#"{"s3SourceUri":"s3://UPPER/y/"}"#, "s3SourceUri"),
            (#"{"s3TargetUri":"s3:///y"}"#, "s3TargetUri"),
            (#"{"s3TargetUri":true}"#, "s3TargetUri"),
            (#"{"compressionRate":"100"}"#, "compressionRate"),
            (#"{"compressionRate":0.5}"#, "compressionRate"),
            (#"{"compressionRate":100000}"#, "compressionRate"),
            (#"{"compressionLibrary":"kakadu"}"#, "compressionLibrary"),
            (#"{"anonymize":"yes"}"#, "anonymize"),
            (#"{"anonymize":1}"#, "anonymize"),
            (#"{"outputFilename":"a/b.zip"}"#, "outputFilename"),
            (#"{"outputFilename":""}"#, "outputFilename"),
            (#"{"outputFilename":".."}"#, "outputFilename"),
            (#"{"overwriteExisting":"true"}"#, "overwriteExisting"),
            (#"{"qualityCheck":"some"}"#, "qualityCheck"),
            (#"{"transferSyntax":"jp2"}"#, "transferSyntax"),
            (#"{"targetPSNR":-1}"#, "targetPSNR"),
            (#"{"encoderSpeed":"turbo"}"#, "encoderSpeed"), (#"{"encoderSpeed":1}"#, "encoderSpeed"),
            (#"{"targetPSNR":"40"}"#, "targetPSNR"),
            (#"{"maxError":1.5}"#, "maxError"),
            (#"{"maxError":-2}"#, "maxError"),
            (#"{"compressionRate":10,"targetPSNR":40}"#, "targetPSNR"),
            (#"{"targetPSNR":40,"maxError":2}"#, "maxError"),
        ] as [(String, String?)]
    )
    func aWrongValueNamesItsField(body: String, field: String?) {
        #expect {
            try parse(body)
        } throws: { error in
            guard let error = error as? JobError, error.code == .invalidMessage, error.field == field else {
                return false
            }
            return true
        }
    }

    @Test func missingURIsWithoutDefaultsNameTheField() {
        do {
            _ = try JobRequest.parse(body: "{}", messageId: "m", configuration: WorkerConfiguration())
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "s3SourceUri")
        }
    }

    @Test func optionsThatCannotGoTogetherFailNamingTheField() throws {
        for (body, field) in [
            (#"{"compressionLibrary":"gdcmconv","transferSyntax":"htj2k"}"#, "transferSyntax"),
            (#"{"compressionLibrary":"gdcmconv","targetPSNR":45}"#, "targetPSNR"),
            (#"{"compressionLibrary":"gdcmconv","maxError":2}"#, "maxError"),
            (#"{"compressionLibrary":"gdcmconv","encoderSpeed":"fast"}"#, "encoderSpeed"),
            (#"{"transferSyntax":"htj2k","encoderSpeed":"fast"}"#, "encoderSpeed"),
        ] {
            let conflict = try #require(try parse(body).options.conflictingOptions(), "\(body)")
            #expect(conflict.code == .invalidMessage)
            #expect(conflict.field == field)
        }
        for body in [
            "{}", #"{"anonymize":true}"#, #"{"transferSyntax":"htj2k"}"#, #"{"targetPSNR":45}"#, #"{"maxError":0}"#,
            #"{"encoderSpeed":"fast"}"#, #"{"compressionLibrary":"gdcmconv","anonymize":true}"#,
        ] {
            #expect(try parse(body).options.conflictingOptions() == nil, "\(body)")
        }
        #expect(try parse(#"{"encoderSpeed":"fast"}"#).options.encoderSpeed == .fast)
        #expect(try parse(#"{"targetPSNR":45}"#).options.transcoderMode == .targetPSNR(45))
        #expect(try parse(#"{"maxError":3}"#).options.transcoderMode == .maxError(3))
        #expect(try parse(#"{"compressionRate":1}"#).options.transcoderMode == .lossless)
    }

    @Test func theTaskIdOfAnUnparsableMessageIsRecoveredWhenPossible() {
        #expect(JobRequest.bestEffortTaskId(body: #"{"taskId":"t-9","x":1}"#, messageId: "m") == "t-9")
        #expect(JobRequest.bestEffortTaskId(body: #"{"taskId":"a/b"}"#, messageId: "m") == "comp-m")
        #expect(JobRequest.bestEffortTaskId(body: "garbage", messageId: "m") == "comp-m")
    }
}

@Suite struct WorkerConfigurationTests {
    @Test func defaults() throws {
        let configuration = try WorkerConfiguration(environment: [:])
        #expect(configuration == WorkerConfiguration())
        #expect(configuration.metricsNamespace == "DicomCompression")
        #expect(configuration.allows(bucket: "anything"))
        #expect(configuration.resultsLocation(forTarget: S3URI("s3://b/p/")) == S3URI("s3://b/p/results/"))
        #expect(configuration.resultsLocation(forTarget: nil) == nil)
    }

    @Test func everyVariableIsRead() throws {
        let configuration = try WorkerConfiguration(environment: [
            "QUEUE_URL": "http://localhost:4566/000000000000/jobs",
            "DEFAULT_SOURCE_URI": "s3://in/download/x",
            "DEFAULT_TARGET_URI": "s3://out/zips/",
            "RESULTS_URI": "s3://res/r/",
            "ALLOWED_BUCKETS": "in, out ,res",
            "WORKER_THREADS": "3",
            "MAX_FILES_PER_JOB": "10",
            "MAX_JOB_BYTES": "1000",
            "MAX_FILE_BYTES": "100",
            "MAX_FRAMES_PER_FILE": "7",
            "UPLOAD_PART_BYTES": "6291456",
            "METRICS_NAMESPACE": "Custom/NS",
            "LOG_LEVEL": "DEBUG",
            "API_KEY": "k",
        ])
        #expect(configuration.queueURL == "http://localhost:4566/000000000000/jobs")
        #expect(configuration.defaultSourceURI == S3URI("s3://in/download/x/"))
        #expect(configuration.defaultTargetURI == S3URI("s3://out/zips/"))
        #expect(configuration.resultsLocation(forTarget: S3URI("s3://out/zips/")) == S3URI("s3://res/r/"))
        #expect(configuration.allowedBuckets == ["in", "out", "res"])
        #expect(!configuration.allows(bucket: "other"))
        #expect(configuration.workerThreads == 3)
        #expect(configuration.limits == JobLimits(maxFiles: 10, maxJobBytes: 1000, maxFileBytes: 100))
        #expect(configuration.maxFramesPerFile == 7)
        #expect(configuration.uploadPartBytes == 6_291_456)
        #expect(configuration.metricsNamespace == "Custom/NS")
        #expect(configuration.logLevel == .debug)
        #expect(configuration.apiKey == "k")
    }

    @Test(arguments: [
        ("QUEUE_URL", "jobs"), ("DEFAULT_SOURCE_URI", "/data"), ("DEFAULT_TARGET_URI", "s3://"),
        ("RESULTS_URI", "http://x"), ("ALLOWED_BUCKETS", "a,,b"), ("WORKER_THREADS", "0"), ("WORKER_THREADS", "x"),
        ("MAX_FILES_PER_JOB", "-1"), ("MAX_JOB_BYTES", "1e9"), ("MAX_FILE_BYTES", "0"), ("MAX_FRAMES_PER_FILE", "0"),
        ("UPLOAD_PART_BYTES", "1024"), ("METRICS_NAMESPACE", ":bad"), ("LOG_LEVEL", "loud"),
    ])
    func aBadVariableIsNamed(variable: String, value: String) {
        #expect {
            try WorkerConfiguration(environment: [variable: value])
        } throws: { error in
            (error as? WorkerConfigurationError)?.variable == variable
                && "\(error)".contains(variable)
        }
    }
}

@Suite struct JobLimitsTests {
    @Test func theListingIsCheckedBeforeAnyDownload() throws {
        let limits = JobLimits(maxFiles: 3, maxJobBytes: 100, maxFileBytes: 60)
        let ok = [SourceObject(key: "a", size: 40), SourceObject(key: "b", size: 50)]
        try limits.check(ok, logger: quietLogger)
        #expect(throws: JobError.self) { try limits.check(ok + ok, logger: quietLogger) }
        #expect(throws: JobError.self) {
            try limits.check(ok + [SourceObject(key: "c", size: 20)], logger: quietLogger)
        }
        #expect(throws: JobError.self) { try limits.check([SourceObject(key: "big", size: 61)], logger: quietLogger) }
        do {
            try limits.check([SourceObject(key: "patient name.dcm", size: 61)], logger: quietLogger)
        } catch {
            #expect(error.code == .refused)
            #expect(error.message.contains("MAX_FILE_BYTES"))
            #expect(!error.message.contains("patient"))
        }
    }
}

/// The message `enqueue` and `POST /compress-dicom` send is the validated request written out again.
@Suite struct JobMessageBodyTests {
    static let configuration: WorkerConfiguration = {
        var configuration = WorkerConfiguration()
        configuration.defaultTargetURI = S3URI(bucket: "bucket", key: "out/")
        return configuration
    }()

    @Test(arguments: [
        #"{"s3SourceUri":"s3://bucket/in/"}"#,
        #"{"taskId":"t-1","s3SourceUri":"s3://bucket/in","compressionRate":1,"compressionLibrary":"dcmjs-codecs"}"#,
        #"{"s3SourceUri":"s3://bucket/in/","targetPSNR":45.5,"transferSyntax":"htj2k","anonymize":true}"#,
        #"{"s3SourceUri":"s3://bucket/in/","maxError":3,"qualityCheck":"all","outputFilename":"x.zip"}"#,
        #"{"s3SourceUri":"s3://bucket/in/","compressionRate":20,"encoderSpeed":"fast","overwriteExisting":true}"#,
    ])
    func roundTrips(_ body: String) throws {
        let request = try JobEnqueuer.validate(body: body, configuration: Self.configuration)
        let again = try JobRequest.parse(
            body: request.messageBody,
            messageId: "other",
            configuration: Self.configuration
        )
        #expect(again == request)
    }

    @Test func conflictingOptionsFailValidation() {
        #expect(throws: JobError.self) {
            try JobEnqueuer.validate(
                body: #"{"s3SourceUri":"s3://bucket/in/","compressionLibrary":"gdcmconv","encoderSpeed":"fast"}"#,
                configuration: Self.configuration
            )
        }
    }
}
