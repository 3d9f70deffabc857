import Foundation
import Testing

@testable import AWSSigV4

/// The worked examples of the Amazon S3 API Reference ("Signature Calculations for the Authorization
/// Header: Transferring Payload in a Single Chunk" and "Authenticating Requests: Using Query
/// Parameters"): bucket `examplebucket`, key `AKIAIOSFODNN7EXAMPLE`, 2013-05-24T00:00:00Z.
/// Expected values are the published ones.
struct S3SignatureExampleTests {
    static let signer = AWSSigner(
        credentials: AWSCredentials(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE",
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        region: "us-east-1",
        service: "s3"
    )
    static let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
    static let host = "examplebucket.s3.amazonaws.com"
    static let credential = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "

    @Test func getObjectWithRange() {
        let signed = Self.signer.signHeaders(
            AWSSigner.Request(method: "GET", host: Self.host, path: "/test.txt", headers: [("Range", "bytes=0-9")]),
            payload: .empty,
            date: Self.date
        )
        #expect(
            signed.header("authorization")
                == Self.credential + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
        #expect(signed.header("x-amz-content-sha256") == AWSSigner.emptyPayloadHash)
    }

    @Test func putObjectWithEncodedKey() {
        let body = Array("Welcome to Amazon S3.".utf8)
        let hash = AWSSigner.sha256Hex(body)
        #expect(hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let signed = Self.signer.signHeaders(
            AWSSigner.Request(
                method: "PUT",
                host: Self.host,
                path: "/test$file.text",
                headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")]
            ),
            payload: .sha256(hash),
            date: Self.date
        )
        // S3 encodes the path once: `$` becomes %24 in both the wire path and the canonical request.
        #expect(signed.encodedPath == "/test%24file.text")
        #expect(
            signed.canonicalRequest == """
                PUT
                /test%24file.text

                date:Fri, 24 May 2013 00:00:00 GMT
                host:examplebucket.s3.amazonaws.com
                x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
                x-amz-date:20130524T000000Z
                x-amz-storage-class:REDUCED_REDUNDANCY

                date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class
                44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
                """
        )
        #expect(
            signed.stringToSign == """
                AWS4-HMAC-SHA256
                20130524T000000Z
                20130524/us-east-1/s3/aws4_request
                9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d
                """
        )
        #expect(signed.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func getBucketLifecycle() {
        let signed = Self.signer.signHeaders(
            AWSSigner.Request(method: "GET", host: Self.host, path: "/", query: [("lifecycle", "")]),
            payload: .empty,
            date: Self.date
        )
        #expect(signed.encodedQuery == "lifecycle=")
        #expect(signed.signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test func listObjects() {
        let signed = Self.signer.signHeaders(
            AWSSigner.Request(method: "GET", host: Self.host, path: "/", query: [("prefix", "J"), ("max-keys", "2")]),
            payload: .empty,
            date: Self.date
        )
        #expect(signed.encodedQuery == "max-keys=2&prefix=J")
        #expect(signed.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func presignedGetObject() {
        let signed = Self.signer.presign(
            AWSSigner.Request(method: "GET", host: Self.host, path: "/test.txt"),
            expires: 86_400,
            date: Self.date
        )
        #expect(
            "https://\(Self.host)\(signed.pathAndQuery)"
                == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        )
        #expect(
            signed.stringToSign.hasSuffix("\n3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04")
        )
    }

    /// Not a published example: the rules it checks are. Every S3 request carries the payload header,
    /// `UNSIGNED-PAYLOAD` included, and the session token is signed.
    @Test func unsignedPayloadAndSessionTokenAreSigned() {
        var signer = Self.signer
        signer.credentials.sessionToken = "token/with+chars="
        let signed = signer.signHeaders(
            AWSSigner.Request(
                method: "PUT",
                host: "localhost:4566",
                path: "/bucket/a key+1",
                query: [("partNumber", "1")]
            ),
            payload: .unsigned,
            date: Self.date
        )
        #expect(signed.header("x-amz-content-sha256") == "UNSIGNED-PAYLOAD")
        #expect(signed.header("x-amz-security-token") == "token/with+chars=")
        #expect(signed.encodedPath == "/bucket/a%20key%2B1")
        #expect(
            signed.canonicalRequest == """
                PUT
                /bucket/a%20key%2B1
                partNumber=1
                host:localhost:4566
                x-amz-content-sha256:UNSIGNED-PAYLOAD
                x-amz-date:20130524T000000Z
                x-amz-security-token:token/with+chars=

                host;x-amz-content-sha256;x-amz-date;x-amz-security-token
                UNSIGNED-PAYLOAD
                """
        )
    }

    @Test func presignWithSessionTokenPutsTheTokenInTheSignedQuery() {
        var signer = Self.signer
        signer.credentials.sessionToken = "abc/def"
        let signed = signer.presign(
            AWSSigner.Request(method: "GET", host: Self.host, path: "/test.txt"),
            expires: 60,
            date: Self.date
        )
        #expect(signed.canonicalRequest.contains("&X-Amz-Security-Token=abc%2Fdef"))
        #expect(signed.encodedQuery.contains("X-Amz-Security-Token=abc%2Fdef&X-Amz-SignedHeaders=host"))
        #expect(signed.encodedQuery.hasSuffix("&X-Amz-Signature=" + signed.signature))
    }
}
