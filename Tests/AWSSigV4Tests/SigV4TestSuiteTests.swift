import Foundation
import Testing

@testable import AWSSigV4

/// AWS's published Signature Version 4 test suite (the 2015 edition, as shipped with the AWS SDKs'
/// signer tests): service `service`, region `us-east-1`, key `AKIDEXAMPLE`, 2015-08-30T12:36:00Z.
/// The expected signatures are copied from the suite, not computed here.
struct SigV4TestSuiteTests {
    static let credentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    )
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    static let host = "example.amazonaws.com"
    static let scope = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var method = "GET"
        var path = "/"
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body = ""
        var authorization: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "get-vanilla",
            authorization: "SignedHeaders=host;x-amz-date, "
                + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        ),
        Case(
            name: "get-vanilla-query-order-key-case",
            query: [("Param2", "value2"), ("Param1", "value1")],
            authorization: "SignedHeaders=host;x-amz-date, "
                + "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        ),
        Case(
            name: "get-vanilla-empty-query-key",
            query: [("Param1", "value1")],
            authorization: "SignedHeaders=host;x-amz-date, "
                + "Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"
        ),
        Case(
            name: "get-vanilla-query-unreserved",
            query: [
                (
                    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                )
            ],
            authorization: "SignedHeaders=host;x-amz-date, "
                + "Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"
        ),
        Case(
            name: "get-vanilla-utf8-query",
            query: [("ሴ", "bar")],
            authorization: "SignedHeaders=host;x-amz-date, "
                + "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"
        ),
        Case(
            name: "get-unreserved",
            path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            authorization: "SignedHeaders=host;x-amz-date, "
                + "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"
        ),
        Case(
            name: "get-header-key-duplicate",
            headers: [("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
            authorization: "SignedHeaders=host;my-header1;x-amz-date, "
                + "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"
        ),
        Case(
            name: "get-header-value-order",
            headers: [
                ("My-Header1", "value4"), ("My-Header1", "value1"), ("My-Header1", "value3"), ("My-Header1", "value2"),
            ],
            authorization: "SignedHeaders=host;my-header1;x-amz-date, "
                + "Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"
        ),
        Case(
            name: "get-header-value-trim",
            headers: [("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
            authorization: "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
                + "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"
        ),
        Case(
            name: "post-vanilla",
            method: "POST",
            authorization: "SignedHeaders=host;x-amz-date, "
                + "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        ),
        Case(
            name: "post-vanilla-query",
            method: "POST",
            query: [("Param1", "value1")],
            authorization: "SignedHeaders=host;x-amz-date, "
                + "Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"
        ),
        Case(
            name: "post-vanilla-query-nonunreserved",
            method: "POST",
            query: [("@#$%^", ""), ("+", "/,?><`\";:\\|][{}")],
            authorization: "SignedHeaders=host;x-amz-date, "
                + "Signature=66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"
        ),
        Case(
            name: "post-vanilla-query-space",
            method: "POST",
            query: [("p", "")],
            authorization: "SignedHeaders=host;x-amz-date, "
                + "Signature=e71688addb58a26418614085fb730ba3faa623b461c17f48f2fbdb9361b94a9b"
        ),
        Case(
            name: "post-header-key-sort",
            method: "POST",
            headers: [("My-Header1", "value1")],
            authorization: "SignedHeaders=host;my-header1;x-amz-date, "
                + "Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"
        ),
        Case(
            name: "post-header-value-case",
            method: "POST",
            headers: [("My-Header1", "VALUE1")],
            authorization: "SignedHeaders=host;my-header1;x-amz-date, "
                + "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"
        ),
        Case(
            name: "post-x-www-form-urlencoded",
            method: "POST",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: "Param1=value1",
            authorization: "SignedHeaders=content-type;host;x-amz-date, "
                + "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        ),
        Case(
            name: "post-x-www-form-urlencoded-parameters",
            method: "POST",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf8")],
            body: "Param1=value1",
            authorization: "SignedHeaders=content-type;host;x-amz-date, "
                + "Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"
        ),
    ]

    @Test(arguments: cases)
    func publishedSignature(_ testCase: Case) {
        let signer = AWSSigner(credentials: Self.credentials, region: "us-east-1", service: "service")
        let request = AWSSigner.Request(
            method: testCase.method,
            host: Self.host,
            path: testCase.path,
            query: testCase.query,
            headers: testCase.headers
        )
        let payload: AWSSigner.Payload =
            testCase.body.isEmpty ? .empty : .sha256(AWSSigner.sha256Hex(Array(testCase.body.utf8)))
        let signed = signer.signHeaders(request, payload: payload, date: Self.date)
        #expect(signed.header("authorization") == Self.scope + testCase.authorization)
        #expect(signed.header("x-amz-date") == "20150830T123600Z")
        // Only S3 adds the payload hash header.
        #expect(signed.header("x-amz-content-sha256") == nil)
    }

    /// post-sts-header-before: the session token is sent and signed.
    @Test func sessionTokenIsSentAndSigned() {
        let token =
            "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
        var credentials = Self.credentials
        credentials.sessionToken = token
        let signer = AWSSigner(credentials: credentials, region: "us-east-1", service: "service")
        let signed = signer.signHeaders(
            AWSSigner.Request(method: "POST", host: Self.host, path: "/"),
            payload: .empty,
            date: Self.date
        )
        #expect(signed.header("x-amz-security-token") == token)
        #expect(
            signed.header("authorization")
                == Self.scope + "SignedHeaders=host;x-amz-date;x-amz-security-token, "
                + "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"
        )
        #expect(
            signed.stringToSign
                == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                + "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6"
        )
    }

    /// Services other than S3 sign the sent path encoded a second time.
    @Test func otherServicesEncodeThePathTwice() {
        let signer = AWSSigner(credentials: Self.credentials, region: "us-east-1", service: "service")
        let signed = signer.signHeaders(
            AWSSigner.Request(method: "GET", host: Self.host, path: "/a b/ü"),
            payload: .empty,
            date: Self.date
        )
        #expect(signed.encodedPath == "/a%20b/%C3%BC")
        #expect(signed.canonicalRequest.hasPrefix("GET\n/a%2520b/%25C3%25BC\n\n"))
    }

    /// Caller copies of signer-owned headers are dropped, not signed twice.
    @Test func signerOwnedHeadersReplaceTheCallers() {
        let signer = AWSSigner(credentials: Self.credentials, region: "us-east-1", service: "service")
        let signed = signer.signHeaders(
            AWSSigner.Request(
                method: "GET",
                host: Self.host,
                path: "/",
                headers: [("Host", "other.example"), ("X-Amz-Date", "19990101T000000Z"), ("User-Agent", "x")]
            ),
            payload: .empty,
            date: Self.date
        )
        #expect(signed.headers.filter { $0.name.lowercased() == "host" }.map(\.value) == [Self.host])
        #expect(signed.header("user-agent") == "x")
        // user-agent is sent but not signed, so the signature is get-vanilla's.
        #expect(signed.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }
}

extension AWSSigner.SignedRequest {
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name }?.value
    }
}
