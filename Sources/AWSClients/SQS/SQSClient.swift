import AWSSigV4
import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A message received from a queue.
public struct SQSMessage: Sendable, Equatable {
    public var messageID: String
    /// Needed to delete the message or change its visibility; valid until it is received again.
    public var receiptHandle: String
    public var body: String
    /// System attributes (`ApproximateReceiveCount`, `SentTimestamp`, …), values as SQS sends them.
    public var attributes: [String: String]

    /// How often the message has been received, this time included.
    public var approximateReceiveCount: Int? { attributes["ApproximateReceiveCount"].flatMap { Int($0) } }
    /// When the message was sent.
    public var sentTimestamp: Date? { Self.date(attributes["SentTimestamp"]) }
    /// When the message was first received.
    public var approximateFirstReceiveTimestamp: Date? { Self.date(attributes["ApproximateFirstReceiveTimestamp"]) }

    private static func date(_ milliseconds: String?) -> Date? {
        milliseconds.flatMap { Int64($0) }.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }
}

/// An Amazon SQS client speaking the JSON protocol (`X-Amz-Target: AmazonSQS.<Operation>`,
/// `application/x-amz-json-1.0`). Requests go to the configured SQS endpoint; the queue URL travels
/// in the body. Message bodies are checked against SQS's MD5.
public struct SQSClient: Sendable {
    public let configuration: AWSConfiguration
    package let transport: AWSTransport

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

    /// The system attributes every receive asks for.
    public static let systemAttributes = [
        "ApproximateReceiveCount", "SentTimestamp", "ApproximateFirstReceiveTimestamp", "SenderId",
    ]

    /// Receives up to `maxMessages` messages, waiting up to `waitTimeSeconds` for the first (long poll).
    ///
    /// - Parameters:
    ///   - maxMessages: 1…10.
    ///   - waitTimeSeconds: 0…20; the call returns as soon as a message arrives.
    ///   - visibilityTimeout: seconds the messages stay hidden from other receivers; `nil` for the
    ///     queue's default.
    /// - Returns: the messages; empty when the wait ended without one.
    public func receiveMessages(
        queueURL: String,
        maxMessages: Int = 1,
        waitTimeSeconds: Int = 20,
        visibilityTimeout: Int? = nil,
        logger: Logger
    ) async throws -> [SQSMessage] {
        let operation = "SQS.ReceiveMessage"
        guard (1...10).contains(maxMessages), (0...20).contains(waitTimeSeconds),
            visibilityTimeout.map({ (0...43_200).contains($0) }) ?? true
        else {
            throw SQSError(
                code: .invalidRequest,
                errorCode: "InvalidParameterValue",
                message: "maxMessages must be 1…10, waitTimeSeconds 0…20, visibilityTimeout 0…43200",
                operation: operation,
                queueURL: queueURL
            )
        }
        struct Request: Encodable {
            var QueueUrl: String
            var MaxNumberOfMessages: Int
            var WaitTimeSeconds: Int
            var VisibilityTimeout: Int?
            var MessageSystemAttributeNames: [String]
            var AttributeNames: [String]  // the older name of the same field; some emulators know only it
        }
        struct Message: Decodable {
            var MessageId: String
            var ReceiptHandle: String
            var Body: String
            var MD5OfBody: String?
            var Attributes: [String: String]?
        }
        struct Response: Decodable { var Messages: [Message]? }
        // The attempt must outlive the long poll.
        let timeout = max(configuration.attemptTimeout, .seconds(waitTimeSeconds + 10))
        let response: Response = try await call(
            operation,
            queueURL: queueURL,
            Request(
                QueueUrl: queueURL,
                MaxNumberOfMessages: maxMessages,
                WaitTimeSeconds: waitTimeSeconds,
                VisibilityTimeout: visibilityTimeout,
                MessageSystemAttributeNames: Self.systemAttributes,
                AttributeNames: Self.systemAttributes
            ),
            attemptTimeout: timeout,
            logger: logger
        )
        return try (response.Messages ?? []).map { message in
            if let md5 = message.MD5OfBody, md5.lowercased() != Self.md5Hex(message.Body) {
                throw SQSError(
                    code: .invalidResponse,
                    errorCode: "MD5Mismatch",
                    message: "the body of message \(message.MessageId) does not match its MD5",
                    operation: operation,
                    queueURL: queueURL
                )
            }
            return SQSMessage(
                messageID: message.MessageId,
                receiptHandle: message.ReceiptHandle,
                body: message.Body,
                attributes: message.Attributes ?? [:]
            )
        }
    }

    /// Deletes a received message (the job is done).
    public func deleteMessage(queueURL: String, receiptHandle: String, logger: Logger) async throws {
        struct Request: Encodable {
            var QueueUrl: String
            var ReceiptHandle: String
        }
        let _: Empty = try await call(
            "SQS.DeleteMessage",
            queueURL: queueURL,
            Request(QueueUrl: queueURL, ReceiptHandle: receiptHandle),
            logger: logger
        )
    }

    /// Sets how long a received message stays hidden, counted from now (0 makes it visible at once).
    public func changeMessageVisibility(
        queueURL: String,
        receiptHandle: String,
        visibilityTimeout: Int,
        logger: Logger
    ) async throws {
        struct Request: Encodable {
            var QueueUrl: String
            var ReceiptHandle: String
            var VisibilityTimeout: Int
        }
        let _: Empty = try await call(
            "SQS.ChangeMessageVisibility",
            queueURL: queueURL,
            Request(QueueUrl: queueURL, ReceiptHandle: receiptHandle, VisibilityTimeout: visibilityTimeout),
            logger: logger
        )
    }

    /// Sends a message; returns its message ID.
    @discardableResult
    public func sendMessage(
        queueURL: String,
        body: String,
        delaySeconds: Int? = nil,
        logger: Logger
    ) async throws -> String {
        let operation = "SQS.SendMessage"
        struct Request: Encodable {
            var QueueUrl: String
            var MessageBody: String
            var DelaySeconds: Int?
        }
        struct Response: Decodable {
            var MessageId: String
            var MD5OfMessageBody: String?
        }
        let response: Response = try await call(
            operation,
            queueURL: queueURL,
            Request(QueueUrl: queueURL, MessageBody: body, DelaySeconds: delaySeconds),
            logger: logger
        )
        if let md5 = response.MD5OfMessageBody, md5.lowercased() != Self.md5Hex(body) {
            throw SQSError(
                code: .invalidResponse,
                errorCode: "MD5Mismatch",
                message: "SQS stored a body whose MD5 differs from the one sent (message \(response.MessageId))",
                operation: operation,
                queueURL: queueURL
            )
        }
        return response.MessageId
    }

    /// The queue's attributes (`["All"]` for every one).
    public func getQueueAttributes(
        queueURL: String,
        names: [String] = ["All"],
        logger: Logger
    ) async throws -> [String: String] {
        struct Request: Encodable {
            var QueueUrl: String
            var AttributeNames: [String]
        }
        struct Response: Decodable { var Attributes: [String: String]? }
        let response: Response = try await call(
            "SQS.GetQueueAttributes",
            queueURL: queueURL,
            Request(QueueUrl: queueURL, AttributeNames: names),
            logger: logger
        )
        return response.Attributes ?? [:]
    }

    /// The URL of the queue called `name`.
    public func getQueueURL(name: String, ownerAccountID: String? = nil, logger: Logger) async throws -> String {
        struct Request: Encodable {
            var QueueName: String
            var QueueOwnerAWSAccountId: String?
        }
        let response: QueueURLResponse = try await call(
            "SQS.GetQueueUrl",
            queueURL: nil,
            Request(QueueName: name, QueueOwnerAWSAccountId: ownerAccountID),
            logger: logger
        )
        return response.QueueUrl
    }

    /// Creates a queue (or returns the URL of an identical existing one).
    public func createQueue(name: String, attributes: [String: String] = [:], logger: Logger) async throws -> String {
        struct Request: Encodable {
            var QueueName: String
            var Attributes: [String: String]?
        }
        let response: QueueURLResponse = try await call(
            "SQS.CreateQueue",
            queueURL: nil,
            Request(QueueName: name, Attributes: attributes.isEmpty ? nil : attributes),
            logger: logger
        )
        return response.QueueUrl
    }

    /// Deletes a queue.
    public func deleteQueue(queueURL: String, logger: Logger) async throws {
        struct Request: Encodable { var QueueUrl: String }
        let _: Empty = try await call(
            "SQS.DeleteQueue",
            queueURL: queueURL,
            Request(QueueUrl: queueURL),
            logger: logger
        )
    }

    // MARK: - The JSON protocol

    private struct Empty: Decodable {}
    private struct QueueURLResponse: Decodable { var QueueUrl: String }

    private func call<Request: Encodable, Response: Decodable>(
        _ operation: String,
        queueURL: String?,
        _ body: Request,
        attemptTimeout: Duration? = nil,
        logger: Logger
    ) async throws -> Response {
        let payload: Data
        do {
            payload = try JSONEncoder().encode(body)
        } catch {
            throw SQSError(
                code: .invalidRequest,
                errorCode: "Encoding",
                message: "\(error)",
                operation: operation,
                queueURL: queueURL
            )
        }
        var logger = logger
        if let queueURL { logger[metadataKey: "sqs.queue_url"] = "\(queueURL)" }
        let target = "AmazonSQS." + operation.dropFirst("SQS.".count)
        let response = try await transport.execute(
            AWSHTTPRequest(
                operation: operation,
                service: "sqs",
                endpoint: configuration.sqsEndpoint,
                method: .POST,
                path: "/",
                headers: [("x-amz-target", target), ("content-type", "application/x-amz-json-1.0")],
                body: .bytes(ByteBuffer(bytes: payload)),
                attemptTimeout: attemptTimeout
            ),
            logger: logger,
            decodeError: { response in
                (200..<300).contains(response.status.code)
                    ? nil : SQSError.decode(response, operation: operation, queueURL: queueURL)
            }
        )
        let data = response.body.readableBytes == 0 ? Data("{}".utf8) : Data(response.body.readableBytesView)
        do {
            return try JSONDecoder().decode(Response.self, from: data)
        } catch {
            throw SQSError(
                code: .invalidResponse,
                errorCode: "InvalidResponse",
                message: "unreadable \(operation) response: \(error)",
                requestID: response.requestID,
                statusCode: Int(response.status.code),
                operation: operation,
                queueURL: queueURL
            )
        }
    }

    static func md5Hex(_ text: String) -> String {
        Insecure.MD5.hash(data: Array(text.utf8)).hexString
    }
}
