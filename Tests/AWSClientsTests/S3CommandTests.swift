import AWSClients
import Foundation
import NIOCore
import TestSupport
import Testing

/// `dicom-j2k s3 cp` and `s3 ls`, run as a user runs them.
@Suite struct S3CommandTests {
    /// Keys without a usable file name are refused before anything is fetched or touched.
    @Test(.needs(.dicomJ2KExecutable), arguments: ["dir/", "dir/.", "dir/..", "..", "a/b//"])
    func keysWithoutAFileNameAreRefused(key: String) throws {
        let tool = try TestEnvironment.dicomJ2KExecutable()
        try withTemporaryDirectory { folder in
            let target = folder.appendingPathComponent("target")
            try FileManager.default.createDirectory(
                at: target.appendingPathComponent("sub"),
                withIntermediateDirectories: true
            )
            try Data("keep".utf8).write(to: target.appendingPathComponent("sub/file"))
            // Nothing listens there: a request would fail differently.
            let run = try runProcess(
                tool,
                ["s3", "cp", "--endpoint-url", "http://127.0.0.1:9", "s3://bucket/\(key)", target.path + "/"],
                environment: ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"]
            )
            #expect(run.status != 0)
            #expect(run.stderr.contains("no usable file name"), "\(run.stderr)")
            #expect(try Self.tree(folder) == ["target", "target/sub", "target/sub/file"])
        }
    }

    static func tree(_ folder: URL) throws -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        return (enumerator?.allObjects as? [String] ?? []).sorted()
    }
}

/// The same verbs against LocalStack: a download replaces only its one file, and `ls` escapes keys.
@Suite(
    .enabled(if: LocalStackEnvironment.shouldRun, "needs DICOM_J2K_TEST_ENDPOINT (scripts/test.sh starts LocalStack)"),
    .needs(.dicomJ2KExecutable)
)
struct LocalStackS3CommandTests {
    func run(_ env: LocalStackEnvironment, _ arguments: [String]) throws -> ProcessResult {
        try runProcess(
            try TestEnvironment.dicomJ2KExecutable(),
            arguments,
            environment: [
                "AWS_ENDPOINT_URL": env.endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_REGION": "us-east-1",
            ]
        )
    }

    @Test func aDownloadReplacesOnlyItsFileAndNeverAFolder() async throws {
        let env = try LocalStackEnvironment.require()
        let prefix = "\(env.runID)/s3cp-\(UUID().uuidString.prefix(8))/"
        try await withAWSHTTPClient { http in
            let s3 = S3Client(configuration: env.configuration, httpClient: http)
            try await s3.putObject(
                bucket: env.bucket,
                key: prefix + "IM1.dcm",
                body: ByteBuffer(string: "new"),
                logger: quietLogger
            )
            try await s3.putObject(
                bucket: env.bucket,
                key: prefix + "sub",
                body: ByteBuffer(string: "x"),
                logger: quietLogger
            )
        }
        try withTemporaryDirectory { folder in
            let manager = FileManager.default
            try manager.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
            try Data("inner".utf8).write(to: folder.appendingPathComponent("sub/inner"))
            try Data("old".utf8).write(to: folder.appendingPathComponent("IM1.dcm"))
            // A file of the old scheme's temporary name belongs to the user and stays.
            try Data("mine".utf8).write(to: folder.appendingPathComponent("IM1.dcm.part"))

            let replaced = try run(env, ["s3", "cp", "s3://\(env.bucket)/\(prefix)IM1.dcm", folder.path])
            #expect(replaced.status == 0, "\(replaced.stderr)")
            #expect(try String(contentsOf: folder.appendingPathComponent("IM1.dcm"), encoding: .utf8) == "new")
            #expect(try String(contentsOf: folder.appendingPathComponent("IM1.dcm.part"), encoding: .utf8) == "mine")

            let folderTarget = try run(env, ["s3", "cp", "s3://\(env.bucket)/\(prefix)sub", folder.path + "/"])
            #expect(folderTarget.status != 0)
            #expect(folderTarget.stderr.contains("is a directory"), "\(folderTarget.stderr)")
            #expect(try String(contentsOf: folder.appendingPathComponent("sub/inner"), encoding: .utf8) == "inner")
            // No temporary file is left behind.
            #expect(try S3CommandTests.tree(folder) == ["IM1.dcm", "IM1.dcm.part", "sub", "sub/inner"])
        }
    }

    @Test func lsEscapesControlCharactersInKeys() async throws {
        let env = try LocalStackEnvironment.require()
        let prefix = "\(env.runID)/s3ls-\(UUID().uuidString.prefix(8))/"
        let key = prefix + "Doe\u{1B}[31mJane\nIM\u{7}1\\.dcm"
        try await withAWSHTTPClient { http in
            let s3 = S3Client(configuration: env.configuration, httpClient: http)
            try await s3.putObject(bucket: env.bucket, key: key, body: ByteBuffer(string: "x"), logger: quietLogger)
        }
        let listing = try run(env, ["s3", "ls", "--recursive", "s3://\(env.bucket)/\(prefix)"])
        #expect(listing.status == 0, "\(listing.stderr)")
        #expect(listing.stdout.contains(prefix + "Doe\\x1b[31mJane\\x0aIM\\x071\\\\.dcm"), "\(listing.stdout)")
        #expect(!listing.stdout.contains("\u{1B}") && !listing.stdout.contains("\u{7}"))
        #expect(listing.stdout.split(separator: "\n").count == 1)
    }
}
