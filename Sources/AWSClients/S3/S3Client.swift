import AWSSigV4
import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// An Amazon S3 client over one shared `HTTPClient`: listing, streamed downloads, conditional
/// writes, multipart uploads. Errors are ``S3Error`` (S3 said no) or ``AWSClientError`` (transport,
/// credentials, timeouts); transient failures are retried per the configuration's ``RetryPolicy``.
public struct S3Client: Sendable {
    public let configuration: AWSConfiguration
    package let transport: AWSTransport

    /// - Parameters:
    ///   - httpClient: shared with other clients; see ``withAWSHTTPClient(backgroundActivityLogger:_:)``.
    ///   - credentialProvider: defaults to the configuration's source; pass one to share it with an
    ///     ``SQSClient``.
    public init(
        configuration: AWSConfiguration,
        httpClient: HTTPClient,
        credentialProvider: (any AWSCredentialProvider)? = nil
    ) {
        self.configuration = configuration
        self.transport = AWSTransport(
            configuration: configuration,
            httpClient: httpClient,
            credentialProvider: credentialProvider ?? configuration.makeCredentialProvider(httpClient: httpClient)
        )
    }

    // MARK: - Listing

    /// One page of ListObjectsV2. Keys are requested URL-encoded (`encoding-type=url`) so any key,
    /// even one with characters XML cannot carry, round-trips, and are returned decoded.
    ///
    /// - Parameters:
    ///   - maxKeys: at most this many keys (S3 caps a page at 1,000).
    ///   - continuationToken: the previous page's ``S3ListPage/nextContinuationToken``.
    public func listObjectsV2(
        bucket: String,
        prefix: String? = nil,
        delimiter: String? = nil,
        startAfter: String? = nil,
        continuationToken: String? = nil,
        maxKeys: Int? = nil,
        logger: Logger
    ) async throws -> S3ListPage {
        let operation = "S3.ListObjectsV2"
        var query: [(name: String, value: String)] = [("list-type", "2"), ("encoding-type", "url")]
        if let prefix, !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let startAfter { query.append(("start-after", startAfter)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        if let maxKeys { query.append(("max-keys", String(maxKeys))) }
        let response = try await transport.execute(
            request(operation, .GET, bucket: bucket, key: nil, query: query),
            logger: logger,
            decodeError: Self.errorDecoder(operation, bucket: bucket, key: prefix)
        )
        return try Self.parseListPage(response, operation: operation, bucket: bucket)
    }

    /// Every object under `prefix`, page after page, as an async sequence (one request per 1,000 keys,
    /// made when the previous page has been consumed).
    public func listObjects(bucket: String, prefix: String? = nil, logger: Logger) -> S3ObjectListing {
        S3ObjectListing(client: self, bucket: bucket, prefix: prefix, logger: logger)
    }

    // MARK: - Reading

    /// HEAD: the object's metadata.
    /// - Throws: ``S3Error`` with code ``S3Error/Code/notFound`` when the key does not exist.
    public func headObject(bucket: String, key: String, logger: Logger) async throws -> S3ObjectMetadata {
        let operation = "S3.HeadObject"
        try Self.validate(key: key, operation: operation, bucket: bucket)
        let response = try await transport.execute(
            request(operation, .HEAD, bucket: bucket, key: key),
            logger: logger,
            decodeError: Self.errorDecoder(operation, bucket: bucket, key: key)
        )
        return S3ObjectMetadata(headers: response.headers)
    }

    /// GET with a streamed body. The body resumes by itself (a ranged GET pinned to the object's
    /// ETag) when the connection breaks mid-way, so a reset never truncates or mixes versions.
    ///
    /// - Parameters:
    ///   - range: only these bytes (the response is then 206 with ``S3ObjectMetadata/contentRange``).
    ///   - ifMatch: fail with ``S3Error/Code/preconditionFailed`` unless the object has this ETag.
    public func getObject(
        bucket: String,
        key: String,
        range: S3ByteRange? = nil,
        ifMatch: String? = nil,
        logger: Logger
    ) async throws -> S3ObjectDownload {
        let operation = "S3.GetObject"
        try Self.validate(key: key, operation: operation, bucket: bucket)
        var headers: [(name: String, value: String)] = []
        if let range { headers.append(("range", range.headerValue)) }
        if let ifMatch { headers.append(("if-match", ifMatch)) }
        let response = try await transport.executeStreaming(
            request(operation, .GET, bucket: bucket, key: key, headers: headers),
            logger: logger,
            decodeError: Self.errorDecoder(operation, bucket: bucket, key: key)
        )
        let metadata = S3ObjectMetadata(headers: response.headers)
        return S3ObjectDownload(
            metadata: metadata,
            body: S3ObjectBody(
                client: self,
                bucket: bucket,
                key: key,
                firstByte: metadata.contentRange?.first ?? 0,
                expectedLength: metadata.contentLength,
                etag: metadata.etag,
                initial: response.body,
                logger: logger
            )
        )
    }

    /// GET into memory.
    /// - Throws: ``S3Error/Code/invalidResponse`` when the body exceeds `maxBytes`.
    public func getObjectBytes(
        bucket: String,
        key: String,
        range: S3ByteRange? = nil,
        maxBytes: Int = 256 * 1024 * 1024,
        logger: Logger
    ) async throws -> ByteBuffer {
        let download = try await getObject(bucket: bucket, key: key, range: range, logger: logger)
        guard download.metadata.contentLength <= maxBytes else {
            throw S3Error(
                code: .invalidResponse,
                errorCode: "TooLarge",
                message: "object of \(download.metadata.contentLength) bytes exceeds the limit of \(maxBytes)",
                operation: "S3.GetObject",
                bucket: bucket,
                key: key
            )
        }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(Int(download.metadata.contentLength))
        for try await var chunk in download.body { buffer.writeBuffer(&chunk) }
        return buffer
    }

    // MARK: - Writing

    /// PUT an object from memory. The body is signed with its SHA-256, so S3 rejects a corrupted upload.
    ///
    /// - Parameter ifNoneMatch: send `If-None-Match: *`: the write succeeds only if the key is free,
    ///   so two writers can never overwrite each other.
    /// - Throws: ``S3Error`` with code ``S3Error/Code/alreadyExists`` when `ifNoneMatch` and the key
    ///   is taken.
    @discardableResult
    public func putObject(
        bucket: String,
        key: String,
        body: ByteBuffer,
        contentType: String? = nil,
        metadata: [String: String] = [:],
        ifNoneMatch: Bool = false,
        logger: Logger
    ) async throws -> S3WriteResult {
        let operation = "S3.PutObject"
        try Self.validate(key: key, operation: operation, bucket: bucket)
        var headers = Self.objectHeaders(contentType: contentType, metadata: metadata)
        if ifNoneMatch { headers.append(("if-none-match", "*")) }
        let attempts = AttemptCounter()
        do {
            let response = try await transport.execute(
                request(operation, .PUT, bucket: bucket, key: key, headers: headers, body: .bytes(body)),
                logger: logger,
                attempts: attempts,
                decodeError: Self.errorDecoder(operation, bucket: bucket, key: key, conditionalWrite: ifNoneMatch)
            )
            return S3WriteResult(bucket: bucket, key: key, etag: response.headers.first(name: "etag"))
        } catch let error as S3Error where error.code == .alreadyExists && attempts.value > 1 {
            // A retried PUT whose earlier attempt did land finds its own object. If the object there
            // has exactly our bytes (ETag = MD5), the write did happen. A first attempt's 412 is
            // always reported: the key was taken before this call.
            let md5 = body.withUnsafeReadableBytes { Insecure.MD5.hash(data: $0) }.hexString
            if try await objectHasETag(bucket: bucket, key: key, etag: "\"\(md5)\"", logger: logger) {
                logger.debug("conditional PUT found its own earlier attempt", metadata: ["s3.key": "\(key)"])
                return S3WriteResult(bucket: bucket, key: key, etag: "\"\(md5)\"")
            }
            throw error
        }
    }

    /// DELETE an object (succeeds also when the key does not exist, as S3 does).
    public func deleteObject(bucket: String, key: String, logger: Logger) async throws {
        let operation = "S3.DeleteObject"
        try Self.validate(key: key, operation: operation, bucket: bucket)
        _ = try await transport.execute(
            request(operation, .DELETE, bucket: bucket, key: key),
            logger: logger,
            decodeError: Self.errorDecoder(operation, bucket: bucket, key: key)
        )
    }

    /// Creates a bucket; succeeds if this account already owns it (for tools and tests).
    public func createBucket(_ bucket: String, logger: Logger) async throws {
        let operation = "S3.CreateBucket"
        var body = ByteBuffer()
        if configuration.region != "us-east-1" {
            body.writeString(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    + "<LocationConstraint>\(XMLTree.escape(configuration.region))</LocationConstraint>"
                    + "</CreateBucketConfiguration>"
            )
        }
        do {
            _ = try await transport.execute(
                request(
                    operation,
                    .PUT,
                    bucket: bucket,
                    key: nil,
                    body: body.readableBytes > 0 ? .bytes(body) : .empty
                ),
                logger: logger,
                decodeError: Self.errorDecoder(operation, bucket: bucket, key: nil)
            )
        } catch let error as S3Error where error.errorCode == "BucketAlreadyOwnedByYou" {
            return
        }
    }

    // MARK: - Shared plumbing

    /// Whether the object at `key` exists with this ETag (used to recognise our own earlier write).
    func objectHasETag(bucket: String, key: String, etag: String, logger: Logger) async throws -> Bool {
        do {
            return try await headObject(bucket: bucket, key: key, logger: logger).etag == etag
        } catch let error as S3Error where error.code == .notFound {
            return false
        }
    }

    /// Builds a request, addressing the bucket path-style or virtual-hosted.
    func request(
        _ operation: String,
        _ method: HTTPMethod,
        bucket: String,
        key: String?,
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [],
        body: AWSRequestBody = .empty
    ) -> AWSHTTPRequest {
        let endpoint = configuration.s3Endpoint
        let virtual = configuration.s3AddressingStyle == .virtualHosted && Self.isVirtualHostable(bucket)
        let path: String
        if virtual {
            path = "/" + (key ?? "")
        } else {
            path = "/" + bucket + (key.map { "/" + $0 } ?? "")
        }
        return AWSHTTPRequest(
            operation: operation,
            service: "s3",
            endpoint: endpoint,
            host: virtual ? "\(bucket).\(endpoint.host)" : nil,
            method: method,
            path: path,
            query: query,
            headers: headers,
            body: body
        )
    }

    /// DNS-compatible bucket names without dots (dots break the TLS wildcard certificate).
    static func isVirtualHostable(_ bucket: String) -> Bool {
        guard (3...63).contains(bucket.utf8.count), bucket.first != "-", bucket.last != "-" else { return false }
        return bucket.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: "-")
        }
    }

    static func validate(key: String, operation: String, bucket: String) throws {
        guard !bucket.isEmpty, !key.isEmpty, key.utf8.count <= 1024 else {
            throw S3Error(
                code: .invalidRequest,
                errorCode: "InvalidArgument",
                message: "bucket and key must be non-empty and the key at most 1,024 bytes",
                operation: operation,
                bucket: bucket,
                key: key
            )
        }
    }

    static func objectHeaders(contentType: String?, metadata: [String: String]) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        if let contentType { headers.append(("content-type", contentType)) }
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) {
            headers.append(("x-amz-meta-" + name.lowercased(), value))
        }
        return headers
    }

    /// Any non-2xx response is an S3 error.
    static func errorDecoder(
        _ operation: String,
        bucket: String,
        key: String?,
        conditionalWrite: Bool = false
    ) -> AWSTransport.ErrorDecoder {
        { response in
            guard !(200..<300).contains(response.status.code) else { return nil }
            return S3Error.decode(
                response,
                operation: operation,
                bucket: bucket,
                key: key,
                conditionalWrite: conditionalWrite
            )
        }
    }

    static func parseListPage(_ response: AWSHTTPResponse, operation: String, bucket: String) throws -> S3ListPage {
        let invalid = { (message: String) in
            S3Error.invalidResponse(message, response, operation: operation, bucket: bucket)
        }
        let root: XMLTree.Element
        do {
            root = try XMLTree.parse(response.body.readableBytesView)
        } catch {
            throw invalid("unreadable ListObjectsV2 response: \(error)")
        }
        guard root.name == "ListBucketResult" else {
            throw invalid("unexpected <\(root.name)> in ListObjectsV2 response")
        }
        // Decode only if S3 says it encoded: a server ignoring encoding-type sends keys as they are.
        let encoded = root.text(of: "EncodingType") == "url"
        func decode(_ text: String) throws -> String {
            guard encoded else { return text }
            guard let decoded = SigV4Encoding.percentDecode(text, plusIsSpace: true) else {
                throw invalid("undecodable key \(text)")
            }
            return decoded
        }
        let objects = try root.children("Contents").map { element in
            guard let key = element.text(of: "Key"), let size = element.text(of: "Size").flatMap({ Int64($0) }) else {
                throw invalid("a <Contents> without Key or Size")
            }
            return S3Object(
                key: try decode(key),
                size: size,
                etag: element.text(of: "ETag"),
                lastModified: element.text(of: "LastModified").flatMap(parseISO8601)
            )
        }
        let prefixes = try root.children("CommonPrefixes").compactMap { $0.text(of: "Prefix") }.map(decode)
        let truncated = root.text(of: "IsTruncated") == "true"
        let token = root.text(of: "NextContinuationToken")
        if truncated && token == nil { throw invalid("a truncated page without NextContinuationToken") }
        return S3ListPage(
            objects: objects,
            commonPrefixes: prefixes,
            isTruncated: truncated,
            nextContinuationToken: token
        )
    }
}
