import Foundation
import NIOCore
import NIOHTTP1

/// An error answered by SQS, or SQS's answer not making sense.
///
/// ``code`` classifies it for control flow; ``errorCode`` is AWS's code (`QueueDoesNotExist`,
/// `ReceiptHandleIsInvalid`, …) for logs.
public struct SQSError: Error, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case queueDoesNotExist, invalidReceiptHandle, invalidRequest, accessDenied, service, invalidResponse
        }
        private let base: Base

        /// The queue does not exist (`QueueDoesNotExist`, `AWS.SimpleQueueService.NonExistentQueue`).
        public static let queueDoesNotExist = Code(base: .queueDoesNotExist)
        /// The receipt handle is invalid or expired (the message was received again meanwhile).
        public static let invalidReceiptHandle = Code(base: .invalidReceiptHandle)
        /// The request was refused (bad parameter, message too long, …).
        public static let invalidRequest = Code(base: .invalidRequest)
        /// The credentials may not do this.
        public static let accessDenied = Code(base: .accessDenied)
        /// Any other error SQS reported (5xx, throttling, …); see ``SQSError/errorCode``.
        public static let service = Code(base: .service)
        /// SQS's answer could not be understood, or a body's MD5 did not match.
        public static let invalidResponse = Code(base: .invalidResponse)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// AWS's error code, without the `com.amazonaws.sqs#` prefix.
    public let errorCode: String
    public let message: String
    public let requestID: String?
    public let statusCode: Int?
    /// The operation, for example `SQS.ReceiveMessage`.
    public let operation: String
    public let queueURL: String?

    package init(
        code: Code,
        errorCode: String,
        message: String,
        requestID: String? = nil,
        statusCode: Int? = nil,
        operation: String,
        queueURL: String? = nil
    ) {
        self.code = code
        self.errorCode = errorCode
        self.message = message
        self.requestID = requestID
        self.statusCode = statusCode
        self.operation = operation
        self.queueURL = queueURL
    }

    public var description: String {
        var text = "SQSError.\(code) in \(operation)"
        if let queueURL { text += " \(queueURL)" }
        text += ": \(errorCode)"
        if !message.isEmpty { text += " – \(message)" }
        if let statusCode { text += " (HTTP \(statusCode)" + (requestID.map { ", request \($0)" } ?? "") + ")" }
        return text
    }
}

extension SQSError: RetryClassifiable {
    package var retryDisposition: RetryDisposition {
        code == .service ? classifyServiceError(status: statusCode, errorCode: errorCode) : .final
    }
}

extension SQSError {
    private struct ErrorBody: Decodable {
        var __type: String?
        var message: String?
        var Message: String?
    }

    /// Decodes a JSON-protocol error: `{"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": …}`.
    /// The `x-amzn-query-error` header carries the older code (`AWS.SimpleQueueService.NonExistentQueue`).
    static func decode(_ response: AWSHTTPResponse, operation: String, queueURL: String?) -> SQSError {
        let status = Int(response.status.code)
        let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body.readableBytesView))
        let queryCode = response.headers.first(name: "x-amzn-query-error")?.split(separator: ";").first.map(String.init)
        var errorCode =
            body?.__type.map { String($0.split(separator: "#").last ?? Substring($0)) } ?? queryCode ?? "HTTP \(status)"
        if errorCode.isEmpty { errorCode = "HTTP \(status)" }
        let allCodes = [errorCode, queryCode ?? ""]
        let code: Code
        if allCodes.contains(where: { $0 == "QueueDoesNotExist" || $0 == "AWS.SimpleQueueService.NonExistentQueue" }) {
            code = .queueDoesNotExist
        } else if allCodes.contains(where: { $0 == "ReceiptHandleIsInvalid" || $0 == "InvalidReceiptHandle" }) {
            code = .invalidReceiptHandle
        } else if status == 403 || errorCode == "AccessDenied" || errorCode == "AccessDeniedException"
            || errorCode == "InvalidClientTokenId"
        {
            code = .accessDenied
        } else if classifyServiceError(status: status, errorCode: errorCode) == .final && (400..<500).contains(status) {
            code = .invalidRequest
        } else {
            code = .service
        }
        return SQSError(
            code: code,
            errorCode: errorCode,
            message: body?.message ?? body?.Message ?? "",
            requestID: response.requestID,
            statusCode: status,
            operation: operation,
            queueURL: queueURL
        )
    }
}
