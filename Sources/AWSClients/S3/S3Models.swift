import Foundation
import NIOHTTP1

/// An `s3://bucket/key` address.
public struct S3URI: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    /// The key or prefix; may be empty.
    public var key: String

    public init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    /// Parses `s3://bucket` or `s3://bucket/key…`; `nil` for anything else.
    public init?(_ string: String) {
        guard string.hasPrefix("s3://") else { return nil }
        let rest = string.dropFirst(5)
        let bucket = rest.prefix { $0 != "/" }
        guard !bucket.isEmpty else { return nil }
        self.bucket = String(bucket)
        self.key = String(rest.dropFirst(bucket.count + 1))
    }

    public var description: String { "s3://\(bucket)/\(key)" }
}

/// One object of a listing.
public struct S3Object: Sendable, Equatable {
    public var key: String
    public var size: Int64
    /// The ETag, quotes included, as S3 sends it.
    public var etag: String?
    public var lastModified: Date?
}

/// One page of ListObjectsV2.
public struct S3ListPage: Sendable {
    public var objects: [S3Object]
    /// Common prefixes when a delimiter was given ("folders").
    public var commonPrefixes: [String]
    public var isTruncated: Bool
    /// Pass to the next call to get the next page.
    public var nextContinuationToken: String?
}

/// A byte range of an object.
public enum S3ByteRange: Sendable, Equatable {
    /// Bytes `lower…upper`, both included.
    case bytes(ClosedRange<Int64>)
    /// From this offset to the end.
    case from(Int64)
    /// The last `n` bytes.
    case suffix(Int64)

    public var headerValue: String {
        switch self {
        case .bytes(let range): "bytes=\(range.lowerBound)-\(range.upperBound)"
        case .from(let start): "bytes=\(start)-"
        case .suffix(let count): "bytes=-\(count)"
        }
    }
}

/// What HEAD or GET says about an object.
public struct S3ObjectMetadata: Sendable, Equatable {
    /// The length of this response's body (of the range, for a range request).
    public var contentLength: Int64
    /// The ETag, quotes included.
    public var etag: String?
    public var contentType: String?
    public var lastModified: Date?
    /// For a range response: the first and last byte and the object's total size.
    public var contentRange: (first: Int64, last: Int64, total: Int64?)?
    /// `x-amz-meta-*` headers, names without the prefix, lower case.
    public var userMetadata: [String: String]

    /// The object's total size: from `Content-Range` for ranges, else `contentLength`.
    public var objectSize: Int64? { contentRange.map { $0.total } ?? contentLength }

    init(headers: HTTPHeaders) {
        contentLength = headers.first(name: "content-length").flatMap { Int64($0) } ?? 0
        etag = headers.first(name: "etag")
        contentType = headers.first(name: "content-type")
        lastModified = headers.first(name: "last-modified").flatMap(parseHTTPDate)
        contentRange = headers.first(name: "content-range").flatMap(Self.parseContentRange)
        var metadata: [String: String] = [:]
        for (name, value) in headers where name.lowercased().hasPrefix("x-amz-meta-") {
            metadata[String(name.lowercased().dropFirst("x-amz-meta-".count))] = value
        }
        userMetadata = metadata
    }

    /// `bytes 0-9/443` (the total may be `*`).
    static func parseContentRange(_ value: String) -> (Int64, Int64, Int64?)? {
        guard value.hasPrefix("bytes ") else { return nil }
        let parts = value.dropFirst(6).split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let bounds = parts[0].split(separator: "-", maxSplits: 1)
        guard bounds.count == 2, let first = Int64(bounds[0]), let last = Int64(bounds[1]), first <= last else {
            return nil
        }
        return (first, last, Int64(parts[1]))
    }

    public static func == (lhs: S3ObjectMetadata, rhs: S3ObjectMetadata) -> Bool {
        lhs.contentLength == rhs.contentLength && lhs.etag == rhs.etag && lhs.contentType == rhs.contentType
            && lhs.lastModified == rhs.lastModified && lhs.userMetadata == rhs.userMetadata
            && lhs.contentRange?.first == rhs.contentRange?.first && lhs.contentRange?.last == rhs.contentRange?.last
            && lhs.contentRange?.total == rhs.contentRange?.total
    }
}

/// The result of a write (PutObject, CompleteMultipartUpload).
public struct S3WriteResult: Sendable, Equatable {
    public var bucket: String
    public var key: String
    /// The new object's ETag, quotes included.
    public var etag: String?
}

/// A part uploaded to a multipart upload, as CompleteMultipartUpload needs it.
public struct S3CompletedPart: Sendable, Equatable {
    public var partNumber: Int
    /// The part's ETag, quotes included.
    public var etag: String

    public init(partNumber: Int, etag: String) {
        self.partNumber = partNumber
        self.etag = etag
    }
}

/// Parses an RFC 7231 date (`Wed, 12 Oct 2009 17:50:00 GMT`).
func parseHTTPDate(_ text: String) -> Date? {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    return formatter.date(from: text)
}

/// A multipart upload in progress (ListMultipartUploads).
public struct S3MultipartUpload: Sendable, Equatable {
    public var key: String
    public var uploadID: String
    public var initiated: Date?
}
