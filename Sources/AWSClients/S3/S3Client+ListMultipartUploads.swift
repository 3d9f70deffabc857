import Logging
import NIOCore
import NIOHTTP1

/// A multipart upload that was started and neither completed nor aborted.
public struct S3MultipartUploadInfo: Sendable, Equatable {
    public var key: String
    public var uploadID: String
}

extension S3Client {
    /// The open multipart uploads under `prefix` (first page, up to 1,000): for tools and for
    /// tests proving that a failed job left none behind.
    public func listMultipartUploads(
        bucket: String,
        prefix: String? = nil,
        logger: Logger
    ) async throws -> [S3MultipartUploadInfo] {
        let operation = "S3.ListMultipartUploads"
        var query: [(name: String, value: String)] = [("uploads", "")]
        if let prefix, !prefix.isEmpty { query.append(("prefix", prefix)) }
        let response = try await transport.execute(
            request(operation, .GET, bucket: bucket, key: nil, query: query),
            logger: logger,
            decodeError: Self.errorDecoder(operation, bucket: bucket, key: prefix)
        )
        guard let root = try? XMLTree.parse(response.body.readableBytesView),
            root.name == "ListMultipartUploadsResult"
        else {
            throw S3Error.invalidResponse(
                "unreadable ListMultipartUploads response",
                response,
                operation: operation,
                bucket: bucket
            )
        }
        return root.children("Upload").compactMap { upload in
            guard let key = upload.text(of: "Key"), let id = upload.text(of: "UploadId") else { return nil }
            return S3MultipartUploadInfo(key: key, uploadID: id)
        }
    }
}
