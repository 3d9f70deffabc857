import Crypto
import Foundation

/// Signs HTTP requests with AWS Signature Version 4 (`AWS4-HMAC-SHA256`), in headers or as a
/// presigned URL.
///
/// A pure value: no clock, no I/O. The caller passes the signing instant, which keeps it testable
/// against AWS's published examples.
///
/// Service rules that differ: for `s3`, the path is URI-encoded once and every request carries
/// `x-amz-content-sha256` (also `UNSIGNED-PAYLOAD`); every other service encodes the path twice.
/// A session token is always sent as `x-amz-security-token` and covered by the signature.
public struct AWSSigner: Sendable {
    /// The credentials that sign; the session token, if any, is sent and signed.
    public var credentials: AWSCredentials
    /// The signing region, for example `us-east-1`.
    public var region: String
    /// The signing name of the service: `s3`, `sqs`, …
    public var service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The request to sign. Path and query are given decoded; the signer encodes them, and returns
    /// the encoded forms to put on the wire (``SignedRequest/encodedPath``).
    public struct Request: Sendable {
        /// The HTTP method, upper case.
        public var method: String
        /// The `Host` header: the host name, plus `:port` when the port is not the scheme's default.
        public var host: String
        /// The decoded path, starting with `/` (for S3, `/bucket/key` or `/key`).
        public var path: String
        /// Decoded query parameters; order does not matter.
        public var query: [(name: String, value: String)]
        /// Headers to send. `host`, `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` and
        /// `authorization` are set by the signer and replace any given here.
        public var headers: [(name: String, value: String)]

        public init(
            method: String,
            host: String,
            path: String,
            query: [(name: String, value: String)] = [],
            headers: [(name: String, value: String)] = []
        ) {
            self.method = method
            self.host = host
            self.path = path
            self.query = query
            self.headers = headers
        }
    }

    /// What the signature says about the body.
    public enum Payload: Sendable, Equatable {
        /// No body (the hash of the empty string).
        case empty
        /// The hex SHA-256 of the body, computed by the caller (see ``AWSSigner/sha256Hex(_:)``).
        case sha256(String)
        /// `UNSIGNED-PAYLOAD`: S3 only; the body is not covered by the signature.
        case unsigned

        var hash: String {
            switch self {
            case .empty: AWSSigner.emptyPayloadHash
            case .sha256(let hex): hex
            case .unsigned: "UNSIGNED-PAYLOAD"
            }
        }
    }

    /// A signed request: the headers to send and the encoded path and query to put on the wire.
    public struct SignedRequest: Sendable {
        /// Every header to send: the request's own plus `host`, `x-amz-date`, `authorization` and,
        /// where they apply, `x-amz-content-sha256` and `x-amz-security-token`.
        public var headers: [(name: String, value: String)]
        /// The path as sent: each byte outside the unreserved set percent-encoded once, `/` kept.
        public var encodedPath: String
        /// The query as sent (canonical order), without the leading `?`; empty when there is none.
        public var encodedQuery: String
        /// The hex signature.
        public var signature: String
        /// The canonical request that was signed (for tests and debugging; it holds no secret).
        public var canonicalRequest: String
        /// The string to sign (for tests and debugging).
        public var stringToSign: String

        /// `encodedPath` plus `?encodedQuery` when there is a query.
        public var pathAndQuery: String { encodedQuery.isEmpty ? encodedPath : encodedPath + "?" + encodedQuery }
    }

    /// The hex SHA-256 of the empty string.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The hex SHA-256 of `bytes`, for ``Payload/sha256(_:)``.
    public static func sha256Hex(_ bytes: some DataProtocol) -> String {
        SHA256.hash(data: bytes).hexString
    }

    /// The hex SHA-256 of raw memory, for callers holding a buffer (`ByteBuffer.withUnsafeReadableBytes`).
    public static func sha256Hex(bufferPointer: UnsafeRawBufferPointer) -> String {
        SHA256.hash(data: bufferPointer).hexString
    }

    /// Signs `request` in the `Authorization` header.
    ///
    /// - Parameters:
    ///   - request: method, host, decoded path and query, and headers.
    ///   - payload: the body's hash, `.empty`, or `.unsigned` (S3 only).
    ///   - date: the signing instant; it becomes `x-amz-date`.
    /// - Returns: the headers to send and the encoded path and query.
    public func signHeaders(_ request: Request, payload: Payload, date: Date) -> SignedRequest {
        let timestamp = SigV4Timestamp(date)
        var headers = request.headers.filter { !Self.signerOwnedHeaders.contains($0.name.lowercased()) }
        headers.append(("host", request.host))
        headers.append(("x-amz-date", timestamp.dateTime))
        if isS3 { headers.append(("x-amz-content-sha256", payload.hash)) }
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }

        let encodedPath = Self.encodedPath(request.path)
        let encodedQuery = SigV4Encoding.canonicalQuery(request.query)
        let canonicalHeaders = Self.canonicalHeaders(headers)
        let canonicalRequest = [
            request.method, canonicalPath(encodedPath), encodedQuery, canonicalHeaders.block,
            canonicalHeaders.signedNames, payload.hash,
        ].joined(separator: "\n")
        let stringToSign = self.stringToSign(canonicalRequest: canonicalRequest, timestamp: timestamp)
        let signature = self.signature(stringToSign: stringToSign, date: timestamp.date)
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(timestamp.date)), "
            + "SignedHeaders=\(canonicalHeaders.signedNames), Signature=\(signature)"
        headers.append(("authorization", authorization))
        return SignedRequest(
            headers: headers,
            encodedPath: encodedPath,
            encodedQuery: encodedQuery,
            signature: signature,
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign
        )
    }

    /// Signs `request` in its query string (a presigned URL), valid for `expires` seconds from `date`.
    ///
    /// For S3 the body is `UNSIGNED-PAYLOAD`. The session token, if any, goes into the query as
    /// `X-Amz-Security-Token` before signing. Headers in `request` (besides `host`) are signed and
    /// must be sent by whoever uses the URL.
    ///
    /// - Returns: the signed request; ``SignedRequest/pathAndQuery`` is the URL's path and query.
    public func presign(_ request: Request, expires: Int, date: Date) -> SignedRequest {
        let timestamp = SigV4Timestamp(date)
        var headers = request.headers.filter { !Self.signerOwnedHeaders.contains($0.name.lowercased()) }
        headers.append(("host", request.host))
        let canonicalHeaders = Self.canonicalHeaders(headers)
        var query = request.query
        query.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        query.append(("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(timestamp.date))"))
        query.append(("X-Amz-Date", timestamp.dateTime))
        query.append(("X-Amz-Expires", String(expires)))
        query.append(("X-Amz-SignedHeaders", canonicalHeaders.signedNames))
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }

        let encodedPath = Self.encodedPath(request.path)
        let encodedQuery = SigV4Encoding.canonicalQuery(query)
        let payloadHash = isS3 ? Payload.unsigned.hash : Payload.empty.hash
        let canonicalRequest = [
            request.method, canonicalPath(encodedPath), encodedQuery, canonicalHeaders.block,
            canonicalHeaders.signedNames, payloadHash,
        ].joined(separator: "\n")
        let stringToSign = self.stringToSign(canonicalRequest: canonicalRequest, timestamp: timestamp)
        let signature = self.signature(stringToSign: stringToSign, date: timestamp.date)
        return SignedRequest(
            headers: headers,
            encodedPath: encodedPath,
            encodedQuery: encodedQuery + "&X-Amz-Signature=" + signature,
            signature: signature,
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign
        )
    }

    // MARK: - The stages of the algorithm

    private var isS3: Bool { service == "s3" }

    /// Headers the signer sets itself; a caller's copy would be stale or conflicting.
    private static let signerOwnedHeaders: Set<String> = [
        "host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token", "authorization",
    ]

    /// Headers that proxies and HTTP stacks add, drop or rewrite; signing them breaks requests in
    /// transit, so they are sent unsigned (the same list as the AWS SDKs).
    private static let unsignedHeaders: Set<String> = [
        "authorization", "cache-control", "connection", "expect", "from", "keep-alive", "max-forwards",
        "pragma", "referer", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    private static func encodedPath(_ path: String) -> String {
        let encoded = SigV4Encoding.uriEncode(path, encodeSlash: false)
        return encoded.isEmpty ? "/" : encoded
    }

    /// S3 signs the path as sent; other services sign the sent (already encoded) path encoded again.
    private func canonicalPath(_ encodedPath: String) -> String {
        isS3 ? encodedPath : SigV4Encoding.uriEncode(encodedPath, encodeSlash: false)
    }

    private static func canonicalHeaders(
        _ headers: [(name: String, value: String)]
    ) -> (block: String, signedNames: String) {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let lowered = name.lowercased()
            if unsignedHeaders.contains(lowered) { continue }
            values[lowered, default: []].append(trimAll(value))
        }
        let names = values.keys.sorted()
        let block = names.map { "\($0):\(values[$0, default: []].joined(separator: ","))\n" }.joined()
        return (block, names.joined(separator: ";"))
    }

    /// Trims the value and collapses each run of spaces to one, as SigV4's `Trimall`.
    private static func trimAll(_ value: String) -> String {
        var out = ""
        var pendingSpace = false
        for character in value.trimmingCharacters(in: .whitespaces) {
            if character == " " || character == "\t" {
                pendingSpace = true
                continue
            }
            if pendingSpace { out.append(" ") }
            pendingSpace = false
            out.append(character)
        }
        return out
    }

    private func scope(_ date: String) -> String { "\(date)/\(region)/\(service)/aws4_request" }

    private func stringToSign(canonicalRequest: String, timestamp: SigV4Timestamp) -> String {
        let hash = SHA256.hash(data: Array(canonicalRequest.utf8)).hexString
        return "AWS4-HMAC-SHA256\n\(timestamp.dateTime)\n\(scope(timestamp.date))\n\(hash)"
    }

    private func signature(stringToSign: String, date: String) -> String {
        let key = signingKey(date: date)
        return HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key).hexString
    }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    private func signingKey(date: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [date, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        return key
    }
}
