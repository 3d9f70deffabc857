import AWSSigV4
import Foundation
import Logging
import NIOHTTP1

extension S3Client {
    /// A presigned GET URL for one object (SigV4 in the query string), addressed like every other
    /// request of this client (path-style or virtual-hosted).
    ///
    /// - Parameters:
    ///   - query: extra signed query parameters, e.g. `response-content-disposition`.
    ///   - expires: seconds the URL is valid, 1…604800 (S3's limit, 7 days).
    /// - Throws: ``AWSClientError`` when no credentials are available; ``S3Error`` for an empty key
    ///   or an expiry out of range.
    public func presignedGetURL(
        bucket: String,
        key: String,
        query: [(name: String, value: String)] = [],
        expires: Int,
        date: Date = Date(),
        logger: Logger
    ) async throws -> String {
        let operation = "S3.PresignGetObject"
        try Self.validate(key: key, operation: operation, bucket: bucket)
        guard (1...604_800).contains(expires) else {
            throw S3Error(
                code: .invalidRequest,
                errorCode: "InvalidArgument",
                message: "a presigned URL expires after 1 to 604800 seconds",
                operation: operation,
                bucket: bucket,
                key: key
            )
        }
        let request = self.request(operation, .GET, bucket: bucket, key: key, query: query)
        let credentials: AWSCredentials
        do {
            credentials = try await transport.credentialProvider.credentials(logger: logger)
        } catch let error as AWSClientError {
            throw error.with(operation: operation)
        } catch {
            throw AWSClientError(.credentials, "no credentials", operation: operation, underlying: error)
        }
        let signer = AWSSigner(credentials: credentials, region: transport.region, service: "s3")
        let signed = signer.presign(
            AWSSigner.Request(
                method: "GET",
                host: request.endpoint.hostHeader(host: request.host),
                path: request.path,
                query: request.query
            ),
            expires: expires,
            date: date
        )
        return request.endpoint.origin(host: request.host) + signed.pathAndQuery
    }
}
