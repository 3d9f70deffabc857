import AWSSigV4
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The body of one part of a multipart upload.
public struct S3PartBody: Sendable {
    let body: AWSRequestBody
    let length: Int64

    /// Bytes in memory: signed with their SHA-256, and sent again if an attempt fails.
    public static func bytes(_ buffer: ByteBuffer) -> S3PartBody {
        S3PartBody(body: .bytes(buffer), length: Int64(buffer.readableBytes))
    }

    /// A one-shot stream of exactly `length` bytes, sent as `UNSIGNED-PAYLOAD`. Once the HTTP client
    /// has started reading it, a failed attempt is not retried (the bytes are gone); the error is
    /// thrown and the caller uploads the part again from its source.
    public static func stream<Bytes: AsyncSequence & Sendable>(length: Int64, _ bytes: Bytes) -> S3PartBody
    where Bytes.Element == ByteBuffer {
        S3PartBody(body: .stream(AWSByteStream(length: length, bytes)), length: length)
    }
}

extension S3Client {
    /// S3's smallest part, except the last: 5 MiB.
    public static let minimumPartSize = 5 * 1024 * 1024
    /// S3's largest part: 5 GiB.
    public static let maximumPartSize = 5 * 1024 * 1024 * 1024
    /// S3's most parts in one upload.
    public static let maximumPartCount = 10_000

    /// Starts a multipart upload; returns its upload ID.
    ///
    /// An attempt that timed out or lost its connection may still have created an upload, whose
    /// ID never arrived: nobody would complete or abort it, and S3 would keep its (empty) upload
    /// until a lifecycle rule removes it. So when this call needed more than one attempt, or failed
    /// after an attempt that may have landed, it lists the key's uploads started since the call
    /// began (ListMultipartUploads) and aborts every one but the ID it returns. A concurrent
    /// writer of the same key that started meanwhile loses its upload too; keys here are written
    /// by one job each, and an upload lost that way fails loudly rather than silently.
    public func createMultipartUpload(
        bucket: String,
        key: String,
        contentType: String? = nil,
        metadata: [String: String] = [:],
        logger: Logger
    ) async throws -> String {
        let operation = "S3.CreateMultipartUpload"
        try Self.validate(key: key, operation: operation, bucket: bucket)
        let attempts = AttemptCounter()
        let started = Date()
        let response: AWSHTTPResponse
        do {
            response = try await transport.execute(
                request(
                    operation,
                    .POST,
                    bucket: bucket,
                    key: key,
                    query: [("uploads", "")],
                    headers: Self.objectHeaders(contentType: contentType, metadata: metadata)
                ),
                logger: logger,
                attempts: attempts,
                decodeError: Self.errorDecoder(operation, bucket: bucket, key: key)
            )
        } catch {
            // An attempt that failed with a retryable error (or was cancelled) may have landed.
            let mayHaveLanded = attempts.value > 1 || classifyForRetry(error) != .final || error is CancellationError
            if attempts.value > 0, mayHaveLanded {
                await abortUploads(bucket: bucket, key: key, except: nil, since: started, logger: logger)
            }
            throw error
        }
        guard let root = try? XMLTree.parse(response.body.readableBytesView),
            let uploadID = root.text(of: "UploadId"), !uploadID.isEmpty
        else {
            throw S3Error.invalidResponse(
                "no UploadId in the CreateMultipartUpload response",
                response,
                operation: operation,
                bucket: bucket,
                key: key
            )
        }
        if attempts.value > 1 {
            await abortUploads(bucket: bucket, key: key, except: uploadID, since: started, logger: logger)
        }
        return uploadID
    }

    /// Multipart uploads in progress under `prefix` (ListMultipartUploads, every page).
    public func listMultipartUploads(bucket: String, prefix: String, logger: Logger) async throws -> [S3MultipartUpload]
    {
        let operation = "S3.ListMultipartUploads"
        var uploads: [S3MultipartUpload] = []
        var markers: (key: String, uploadID: String)?
        var seen: Set<String> = []
        while true {
            // Keys as they are, not `encoding-type=url`: LocalStack answers `EncodingType` url but
            // sends the keys unencoded, and decoding `+` as a space would name another key. (A key
            // holding characters XML 1.0 cannot carry makes the page unreadable: an error, and the
            // clean-up, which is best effort, gives up.)
            var query: [(name: String, value: String)] = [("uploads", ""), ("prefix", prefix)]
            if let markers { query += [("key-marker", markers.key), ("upload-id-marker", markers.uploadID)] }
            let response = try await transport.execute(
                request(operation, .GET, bucket: bucket, key: nil, query: query),
                logger: logger,
                decodeError: Self.errorDecoder(operation, bucket: bucket, key: prefix)
            )
            let invalid = { (message: String) in
                S3Error.invalidResponse(message, response, operation: operation, bucket: bucket)
            }
            guard let root = try? XMLTree.parse(response.body.readableBytesView),
                root.name == "ListMultipartUploadsResult"
            else { throw invalid("unreadable ListMultipartUploads response") }
            for element in root.children("Upload") {
                guard let key = element.text(of: "Key"), let uploadID = element.text(of: "UploadId") else {
                    throw invalid("an <Upload> without Key or UploadId")
                }
                uploads.append(
                    S3MultipartUpload(
                        key: key,
                        uploadID: uploadID,
                        initiated: element.text(of: "Initiated").flatMap(parseISO8601)
                    )
                )
            }
            guard root.text(of: "IsTruncated") == "true" else { return uploads }
            guard let nextKey = root.text(of: "NextKeyMarker"), let nextID = root.text(of: "NextUploadIdMarker"),
                seen.insert(nextKey + "\u{0}" + nextID).inserted
            else { throw invalid("a truncated ListMultipartUploads page without new markers") }
            markers = (nextKey, nextID)
        }
    }

    /// Aborts the uploads of exactly `key` started since `since` (less a minute for clock skew),
    /// except `keep`. Best effort: what it cannot abort the bucket's lifecycle rule removes later.
    private func abortUploads(bucket: String, key: String, except keep: String?, since: Date, logger: Logger) async {
        let client = self
        // In its own task, so a cancelled caller still cleans up.
        let cleanup = Task { () -> Int in
            let cutoff = since.addingTimeInterval(-60)
            let orphans = try await client.listMultipartUploads(bucket: bucket, prefix: key, logger: logger)
                .filter { $0.key == key && $0.uploadID != keep && ($0.initiated.map { $0 >= cutoff } ?? false) }
            for orphan in orphans {
                try await client.abortMultipartUpload(
                    bucket: bucket,
                    key: key,
                    uploadID: orphan.uploadID,
                    logger: logger
                )
            }
            return orphans.count
        }
        do {
            let aborted = try await cleanup.value
            logger.debug(
                "aborted multipart uploads an earlier CreateMultipartUpload attempt left",
                metadata: ["s3.key": "\(key)", "s3.aborted_uploads": "\(aborted)"]
            )
        } catch {
            logger.info(
                "could not look for multipart uploads a retried CreateMultipartUpload may have left; a lifecycle rule removes them",
                metadata: ["error": "\(loggable(error))"]
            )
        }
    }

    /// Uploads part `partNumber` (1…10,000). Parts must be at least 5 MiB, except the last.
    /// - Returns: the part's number and ETag, for ``completeMultipartUpload(bucket:key:uploadID:parts:ifNoneMatch:logger:)``.
    public func uploadPart(
        bucket: String,
        key: String,
        uploadID: String,
        partNumber: Int,
        body: S3PartBody,
        logger: Logger
    ) async throws -> S3CompletedPart {
        let operation = "S3.UploadPart"
        try Self.validate(key: key, operation: operation, bucket: bucket)
        guard (1...Self.maximumPartCount).contains(partNumber), body.length <= Self.maximumPartSize else {
            throw S3Error(
                code: .invalidRequest,
                errorCode: "InvalidArgument",
                message: "part \(partNumber) of \(body.length) bytes is outside S3's limits",
                operation: operation,
                bucket: bucket,
                key: key
            )
        }
        let response = try await transport.execute(
            request(
                operation,
                .PUT,
                bucket: bucket,
                key: key,
                query: [("partNumber", String(partNumber)), ("uploadId", uploadID)],
                body: body.body
            ),
            logger: logger,
            decodeError: Self.errorDecoder(operation, bucket: bucket, key: key)
        )
        guard let etag = response.headers.first(name: "etag") else {
            throw S3Error.invalidResponse(
                "no ETag for part \(partNumber)",
                response,
                operation: operation,
                bucket: bucket,
                key: key
            )
        }
        return S3CompletedPart(partNumber: partNumber, etag: etag)
    }

    /// Completes a multipart upload.
    ///
    /// S3 may answer 200 and still report an error in the body (the response is sent before the
    /// work ends); that is decoded as an ``S3Error`` and, when transient (`InternalError`, `SlowDown`),
    /// retried. With `ifNoneMatch`, the object is only created if the key is free. If a *retry* finds
    /// the upload gone or the key taken, an earlier attempt may have completed it after all: the
    /// object's ETag is compared with the one these parts produce, and a match counts as success.
    ///
    /// - Throws: ``S3Error`` (``S3Error/Code/alreadyExists`` when `ifNoneMatch` and the key is taken).
    @discardableResult
    public func completeMultipartUpload(
        bucket: String,
        key: String,
        uploadID: String,
        parts: [S3CompletedPart],
        ifNoneMatch: Bool = false,
        logger: Logger
    ) async throws -> S3WriteResult {
        let operation = "S3.CompleteMultipartUpload"
        try Self.validate(key: key, operation: operation, bucket: bucket)
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            xml += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\(XMLTree.escape(part.etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        var headers: [(name: String, value: String)] = [("content-type", "application/xml")]
        if ifNoneMatch { headers.append(("if-none-match", "*")) }
        let attempts = AttemptCounter()
        do {
            let response = try await transport.execute(
                request(
                    operation,
                    .POST,
                    bucket: bucket,
                    key: key,
                    query: [("uploadId", uploadID)],
                    headers: headers,
                    body: .bytes(ByteBuffer(string: xml))
                ),
                logger: logger,
                attempts: attempts,
                decodeError: { response in
                    Self.decodeCompleteError(response, bucket: bucket, key: key, conditionalWrite: ifNoneMatch)
                }
            )
            let root = try? XMLTree.parse(response.body.readableBytesView)
            return S3WriteResult(bucket: bucket, key: key, etag: root?.text(of: "ETag"))
        } catch let error as S3Error
            where (error.code == .alreadyExists || error.code == .noSuchUpload) && attempts.value > 1
        {
            if let etag = Self.multipartETag(parts),
                try await objectHasETag(bucket: bucket, key: key, etag: etag, logger: logger)
            {
                logger.debug("multipart completion found its own earlier attempt", metadata: ["s3.key": "\(key)"])
                return S3WriteResult(bucket: bucket, key: key, etag: etag)
            }
            throw error
        }
    }

    /// Aborts a multipart upload, freeing its parts. Succeeds if the upload is already gone.
    public func abortMultipartUpload(bucket: String, key: String, uploadID: String, logger: Logger) async throws {
        let operation = "S3.AbortMultipartUpload"
        do {
            _ = try await transport.execute(
                request(operation, .DELETE, bucket: bucket, key: key, query: [("uploadId", uploadID)]),
                logger: logger,
                decodeError: Self.errorDecoder(operation, bucket: bucket, key: key)
            )
        } catch let error as S3Error where error.code == .noSuchUpload {
            return
        }
    }

    /// Errors of CompleteMultipartUpload: any non-2xx, and an `<Error>` document inside a 200.
    static func decodeCompleteError(
        _ response: AWSHTTPResponse,
        bucket: String,
        key: String,
        conditionalWrite: Bool
    ) -> S3Error? {
        let operation = "S3.CompleteMultipartUpload"
        guard (200..<300).contains(response.status.code) else {
            return S3Error.decode(
                response,
                operation: operation,
                bucket: bucket,
                key: key,
                conditionalWrite: conditionalWrite
            )
        }
        guard let root = try? XMLTree.parse(response.body.readableBytesView) else {
            // An unreadable 200: S3 may have failed while streaming its answer; retry.
            return S3Error(
                code: .service,
                errorCode: "InternalError",
                message: "unreadable CompleteMultipartUpload response",
                requestID: response.requestID,
                statusCode: 200,
                operation: operation,
                bucket: bucket,
                key: key
            )
        }
        guard root.name == "Error" else { return nil }
        let errorCode = root.text(of: "Code") ?? "InternalError"
        return S3Error(
            code: S3Error.classify(status: 200, errorCode: errorCode, conditionalWrite: conditionalWrite),
            errorCode: errorCode,
            message: root.text(of: "Message") ?? "",
            requestID: root.text(of: "RequestId") ?? response.requestID,
            statusCode: 200,
            operation: operation,
            bucket: bucket,
            key: key
        )
    }

    /// The ETag S3 gives a completed multipart object: the MD5 of the parts' binary MD5s, `-` and the
    /// part count. `nil` when a part ETag is not a plain MD5 (SSE-KMS).
    static func multipartETag(_ parts: [S3CompletedPart]) -> String? {
        var digests: [UInt8] = []
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            let hex = part.etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard hex.utf8.count == 32, let bytes = hexBytes(hex) else { return nil }
            digests += bytes
        }
        return "\"\(Insecure.MD5.hash(data: digests).hexString)-\(parts.count)\""
    }

    private static func hexBytes(_ hex: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next() {
            guard let low = iterator.next(), let h = hexValue(high), let l = hexValue(low) else { return nil }
            bytes.append(h << 4 | l)
        }
        return bytes
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
