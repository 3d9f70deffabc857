import NIOCore
import NIOHTTP1

/// An error answered by S3, or S3's answer not making sense.
///
/// ``code`` is this client's classification, for control flow (`error.code == .alreadyExists`);
/// ``errorCode`` is S3's own code (`NoSuchKey`, `PreconditionFailed`, …) for logs and metrics.
public struct S3Error: Error, CustomStringConvertible {
    /// The classification; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case alreadyExists, notFound, noSuchUpload, preconditionFailed, invalidRange, accessDenied
            case invalidRequest, service, invalidResponse
        }
        private let base: Base

        /// A conditional write (`If-None-Match: *`) found the key taken: 412 `PreconditionFailed`, or
        /// 409 `ConditionalRequestConflict` (another conditional write to the key is in progress).
        public static let alreadyExists = Code(base: .alreadyExists)
        /// The bucket or key does not exist (`NoSuchKey`, `NoSuchBucket`, or 404 on HEAD).
        public static let notFound = Code(base: .notFound)
        /// The multipart upload does not exist (aborted, completed, or never created).
        public static let noSuchUpload = Code(base: .noSuchUpload)
        /// A read precondition failed (`If-Match` on a changed object).
        public static let preconditionFailed = Code(base: .preconditionFailed)
        /// The requested range is outside the object (416).
        public static let invalidRange = Code(base: .invalidRange)
        /// 403: the credentials may not do this.
        public static let accessDenied = Code(base: .accessDenied)
        /// The request was refused as invalid (`EntityTooSmall`, `InvalidPart`, `InvalidArgument`, …).
        public static let invalidRequest = Code(base: .invalidRequest)
        /// Any other error S3 reported (5xx, throttling, …); see ``S3Error/errorCode``.
        public static let service = Code(base: .service)
        /// S3's answer could not be understood.
        public static let invalidResponse = Code(base: .invalidResponse)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// S3's error code (`NoSuchKey`, `SlowDown`, …), or `HTTP <status>` when the response had no body.
    public let errorCode: String
    /// S3's message, or this client's explanation.
    public let message: String
    /// `x-amz-request-id`, for AWS support.
    public let requestID: String?
    /// The HTTP status; 200 for an error inside a successful CompleteMultipartUpload response.
    public let statusCode: Int?
    /// The operation, for example `S3.PutObject`.
    public let operation: String
    public let bucket: String?
    public let key: String?

    package init(
        code: Code,
        errorCode: String,
        message: String,
        requestID: String? = nil,
        statusCode: Int? = nil,
        operation: String,
        bucket: String? = nil,
        key: String? = nil
    ) {
        self.code = code
        self.errorCode = errorCode
        self.message = message
        self.requestID = requestID
        self.statusCode = statusCode
        self.operation = operation
        self.bucket = bucket
        self.key = key
    }

    public var description: String { describe(withKey: true) }

    /// The description without the key (keys often carry patient names): for logs above `debug`.
    public var descriptionWithoutKey: String { describe(withKey: false) }

    private func describe(withKey: Bool) -> String {
        var text = "S3Error.\(code) in \(operation)"
        if let bucket { text += withKey ? " s3://\(bucket)/\(key ?? "")" : " s3://\(bucket)/…" }
        text += ": \(errorCode)"
        if !message.isEmpty { text += " – \(message)" }
        if let statusCode { text += " (HTTP \(statusCode)" + (requestID.map { ", request \($0)" } ?? "") + ")" }
        return text
    }
}

extension S3Error: RetryClassifiable {
    package var retryDisposition: RetryDisposition {
        switch code {
        case .service: classifyServiceError(status: statusCode, errorCode: errorCode)
        default: .final
        }
    }
}

extension S3Error {
    /// S3 answered with success, but not in a form this client can read (`InvalidResponse`).
    package static func invalidResponse(
        _ message: String,
        _ response: AWSHTTPResponse,
        operation: String,
        bucket: String,
        key: String? = nil
    ) -> S3Error {
        S3Error(
            code: .invalidResponse,
            errorCode: "InvalidResponse",
            message: message,
            requestID: response.requestID,
            statusCode: Int(response.status.code),
            operation: operation,
            bucket: bucket,
            key: key
        )
    }

    /// Decodes S3's `<Error>` document (or, for bodiless responses such as HEAD, the status).
    ///
    /// - Parameter conditionalWrite: the request carried `If-None-Match: *`, so 412 and 409
    ///   `ConditionalRequestConflict` mean the key is taken.
    package static func decode(
        _ response: AWSHTTPResponse,
        operation: String,
        bucket: String?,
        key: String?,
        conditionalWrite: Bool = false
    ) -> S3Error {
        let status = Int(response.status.code)
        var errorCode = "HTTP \(status)"
        var message = ""
        var requestID = response.requestID
        if response.body.readableBytes > 0, let root = try? XMLTree.parse(response.body.readableBytesView),
            root.name == "Error"
        {
            errorCode = root.text(of: "Code") ?? errorCode
            message = root.text(of: "Message") ?? ""
            requestID = root.text(of: "RequestId") ?? requestID
        }
        return S3Error(
            code: classify(status: status, errorCode: errorCode, conditionalWrite: conditionalWrite),
            errorCode: errorCode,
            message: message,
            requestID: requestID,
            statusCode: status,
            operation: operation,
            bucket: bucket,
            key: key
        )
    }

    static func classify(status: Int, errorCode: String, conditionalWrite: Bool) -> Code {
        if conditionalWrite && (status == 412 || errorCode == "ConditionalRequestConflict") { return .alreadyExists }
        switch errorCode {
        case "NoSuchKey", "NoSuchBucket": return .notFound
        case "NoSuchUpload": return .noSuchUpload
        case "PreconditionFailed": return .preconditionFailed
        case "InvalidRange": return .invalidRange
        case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken": return .accessDenied
        case "EntityTooSmall", "EntityTooLarge", "InvalidPart", "InvalidPartOrder", "InvalidArgument",
            "InvalidRequest", "InvalidBucketName", "KeyTooLongError", "MalformedXML", "BadDigest",
            "InvalidDigest", "MissingContentLength":
            return .invalidRequest
        default: break
        }
        switch status {
        case 404: return .notFound
        case 412: return .preconditionFailed
        case 416: return .invalidRange
        case 403: return .accessDenied
        default: return .service
        }
    }
}

/// An error as it may be logged above `debug`: S3 errors without their key.
package func loggable(_ error: any Error) -> String {
    (error as? S3Error)?.descriptionWithoutKey ?? "\(error)"
}
