import AWSClients
import AWSSigV4
import AsyncHTTPClient
import Foundation
import Logging
import Testing

/// `S3Client.presignedGetURL` against AWS's published presigned-URL example (SigV4 documentation,
/// "Authenticating Requests: Using Query Parameters"): the client's addressing plus the signer
/// give exactly the documented URL. No request is sent.
@Suite struct S3PresigningTests {
    static let configuration = AWSConfiguration(
        region: "us-east-1",
        credentials: .fixed(
            AWSCredentials(
                accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
            )
        ),
        s3Endpoint: AWSEndpoint(scheme: "https", host: "s3.amazonaws.com", isCustom: false)
    )
    static let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    static func withS3<T>(_ body: (S3Client) async throws -> T) async throws -> T {
        try await withAWSHTTPClient { http in try await body(S3Client(configuration: configuration, httpClient: http)) }
    }

    @Test func theDocumentedExampleURL() async throws {
        let url = try await Self.withS3 { s3 in
            try await s3.presignedGetURL(
                bucket: "examplebucket",
                key: "test.txt",
                expires: 86_400,
                date: Self.date,
                logger: Logger(label: "test")
            )
        }
        #expect(
            url
                == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        )
    }

    @Test func extraQueryParametersAreSignedAndEncoded() async throws {
        let url = try await Self.withS3 { s3 in
            try await s3.presignedGetURL(
                bucket: "examplebucket",
                key: "out/a b.zip",
                query: [("response-content-disposition", "attachment; filename=\"a_b.zip\"")],
                expires: 300,
                date: Self.date,
                logger: Logger(label: "test")
            )
        }
        #expect(url.hasPrefix("https://examplebucket.s3.amazonaws.com/out/a%20b.zip?"))
        #expect(url.contains("response-content-disposition=attachment%3B%20filename%3D%22a_b.zip%22"))
        #expect(url.contains("X-Amz-Expires=300"))
    }

    @Test func anExpiryOutOfRangeIsRefused() async throws {
        await #expect(throws: S3Error.self) {
            try await Self.withS3 { s3 in
                try await s3.presignedGetURL(bucket: "b-1", key: "k", expires: 0, logger: Logger(label: "test"))
            }
        }
    }
}
