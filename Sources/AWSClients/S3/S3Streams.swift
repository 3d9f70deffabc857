import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1

/// Every object under a prefix, fetched a page at a time as the sequence is consumed.
public struct S3ObjectListing: AsyncSequence, Sendable {
    public typealias Element = S3Object

    let client: S3Client
    let bucket: String
    let prefix: String?
    let logger: Logger

    public struct AsyncIterator: AsyncIteratorProtocol {
        let listing: S3ObjectListing
        var buffered: [S3Object] = []
        var token: String?
        var tokens = S3ContinuationTokens()
        var finished = false

        public mutating func next() async throws -> S3Object? {
            while buffered.isEmpty {
                if finished { return nil }
                let page = try await listing.client.listObjectsV2(
                    bucket: listing.bucket,
                    prefix: listing.prefix,
                    continuationToken: token,
                    logger: listing.logger
                )
                buffered = page.objects.reversed()
                finished = !page.isTruncated
                token = finished ? nil : try tokens.next(page, bucket: listing.bucket)
            }
            return buffered.popLast()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(listing: self) }
}

/// The continuation tokens of one listing: a token S3 (or something pretending to be S3) hands
/// out twice would make the listing loop for ever, repeating keys, so it ends the listing with an
/// error instead.
package struct S3ContinuationTokens: Sendable {
    private var seen: Set<String> = []

    package init() {}

    /// The token for the page after `page` (which is truncated).
    /// - Throws: ``S3Error/Code/invalidResponse`` (`RepeatedContinuationToken`) for a token seen before.
    package mutating func next(_ page: S3ListPage, bucket: String) throws -> String? {
        guard let token = page.nextContinuationToken else { return nil }
        guard seen.insert(token).inserted else {
            throw S3Error(
                code: .invalidResponse,
                errorCode: "RepeatedContinuationToken",
                message:
                    "ListObjectsV2 returned a continuation token it had returned before; the listing would not end",
                operation: "S3.ListObjectsV2",
                bucket: bucket
            )
        }
        return token
    }
}

/// A GetObject response: metadata, and the body to stream.
public struct S3ObjectDownload: Sendable {
    public let metadata: S3ObjectMetadata
    /// The body; iterate it once.
    public let body: S3ObjectBody
}

/// The bytes of a GetObject response, in chunks as they arrive.
///
/// When the connection breaks mid-body (reset, early close, read timeout), the iterator requests
/// the rest with `Range` and `If-Match: <ETag>` and goes on, up to the retry policy's attempts; if
/// the object changed meanwhile, it fails with ``S3Error/Code/preconditionFailed`` rather than mix
/// two versions. A body shorter than `Content-Length` is resumed the same way, never returned short.
/// Iterate it once: the underlying HTTP body cannot be replayed.
public struct S3ObjectBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    let client: S3Client
    let bucket: String
    let key: String
    /// The object offset of the first byte of this response.
    let firstByte: Int64
    let expectedLength: Int64
    let etag: String?
    let initial: HTTPClientResponse.Body
    let logger: Logger

    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: S3ObjectBody
        var current: HTTPClientResponse.Body.AsyncIterator
        var delivered: Int64 = 0
        var resumes = 0

        public mutating func next() async throws -> ByteBuffer? {
            while true {
                do {
                    if let chunk = try await current.next() {
                        guard delivered + Int64(chunk.readableBytes) <= body.expectedLength else {
                            throw S3Error(
                                code: .invalidResponse,
                                errorCode: "LengthMismatch",
                                message: "more bytes than Content-Length \(body.expectedLength)",
                                operation: "S3.GetObject",
                                bucket: body.bucket,
                                key: body.key
                            )
                        }
                        delivered += Int64(chunk.readableBytes)
                        return chunk
                    }
                    if delivered == body.expectedLength { return nil }
                    throw AWSClientError(
                        .connection,
                        "the body ended after \(delivered) of \(body.expectedLength) bytes",
                        operation: "S3.GetObject"
                    )
                } catch {
                    // A connection that fails after the last byte lost nothing.
                    if delivered == body.expectedLength, classifyForRetry(error) != .final { return nil }
                    try await resume(after: error)
                }
            }
        }

        private mutating func resume(after error: any Error) async throws {
            let disposition = classifyForRetry(error)
            let policy = body.client.configuration.retryPolicy
            guard disposition != .final, !Task.isCancelled, let etag = body.etag, resumes + 1 < policy.maxAttempts
            else {
                throw AWSClientError.wrapping(error, operation: "S3.GetObject")
            }
            resumes += 1
            let delay = policy.delay(beforeRetry: resumes)
            body.logger.debug(
                "resuming interrupted S3 download",
                metadata: [
                    "s3.key": "\(body.key)", "s3.offset": "\(body.firstByte + delivered)", "aws.attempt": "\(resumes)",
                    "error": "\(error)",
                ]
            )
            try Task.checkCancellation()
            try await policy.sleep(delay)
            let start = body.firstByte + delivered
            let last = body.firstByte + body.expectedLength - 1
            let download = try await body.client.getObject(
                bucket: body.bucket,
                key: body.key,
                range: .bytes(start...last),
                ifMatch: etag,
                logger: body.logger
            )
            guard download.metadata.contentRange?.first == start, download.metadata.contentLength == last - start + 1
            else {
                throw S3Error(
                    code: .invalidResponse,
                    errorCode: "RangeMismatch",
                    message: "resuming at byte \(start) got a response for another range",
                    operation: "S3.GetObject",
                    bucket: body.bucket,
                    key: body.key
                )
            }
            current = download.body.initial.makeAsyncIterator()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: self, current: initial.makeAsyncIterator())
    }
}
