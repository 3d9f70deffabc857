import AWSSigV4
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// One AWS API request before signing: decoded path and query, and a body.
package struct AWSHTTPRequest: Sendable {
    /// `Service.Operation`, for logs and errors.
    package var operation: String
    /// The signing name (`s3`, `sqs`).
    package var service: String
    package var endpoint: AWSEndpoint
    /// Another host than the endpoint's (a virtual-hosted bucket), or `nil`.
    package var host: String?
    package var method: HTTPMethod
    /// The decoded path.
    package var path: String
    package var query: [(name: String, value: String)]
    package var headers: [(name: String, value: String)]
    package var body: AWSRequestBody
    /// Overrides the configured attempt timeout (an SQS long poll needs its wait time on top).
    package var attemptTimeout: Duration?

    package init(
        operation: String,
        service: String,
        endpoint: AWSEndpoint,
        host: String? = nil,
        method: HTTPMethod,
        path: String,
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [],
        body: AWSRequestBody = .empty,
        attemptTimeout: Duration? = nil
    ) {
        self.operation = operation
        self.service = service
        self.endpoint = endpoint
        self.host = host
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.attemptTimeout = attemptTimeout
    }
}

/// A request body. In-memory bytes are signed with their SHA-256 and may be sent again on retry;
/// a stream is sent as `UNSIGNED-PAYLOAD` and, once read, never again.
package enum AWSRequestBody: Sendable {
    case empty
    case bytes(ByteBuffer)
    case stream(AWSByteStream)
}

/// A one-shot stream of bytes of known length (S3 needs the length up front).
package struct AWSByteStream: Sendable {
    package let length: Int64
    private let makeBody: @Sendable (ConsumptionFlag) -> HTTPClientRequest.Body

    package init<Bytes: AsyncSequence & Sendable>(length: Int64, _ bytes: Bytes) where Bytes.Element == ByteBuffer {
        self.length = length
        self.makeBody = { flag in
            .stream(ConsumptionTrackingSequence(base: bytes, flag: flag), length: .known(length))
        }
    }

    func httpBody(_ flag: ConsumptionFlag) -> HTTPClientRequest.Body { makeBody(flag) }
}

/// Set once the HTTP client has pulled the first chunk of a stream: from then on, the stream is
/// consumed and a retry would send a truncated or empty body.
package final class ConsumptionFlag: Sendable {
    private let consumed = Mutex(false)
    package init() {}
    package func markConsumed() { consumed.withLock { $0 = true } }
    package var isConsumed: Bool { consumed.withLock { $0 } }
}

private struct ConsumptionTrackingSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable
where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let flag: ConsumptionFlag

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let flag: ConsumptionFlag

        mutating func next() async throws -> ByteBuffer? {
            flag.markConsumed()
            return try await base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), flag: flag)
    }
}

/// Counts the attempts of one operation, so a caller can tell a first-try answer from one that
/// follows a failed attempt (which may have reached the service after all).
package final class AttemptCounter: Sendable {
    private let count = Mutex(0)
    package init() {}
    package func increment() { count.withLock { $0 += 1 } }
    /// Attempts started so far.
    package var value: Int { count.withLock { $0 } }
}

/// A response whose body has been read completely.
package struct AWSHTTPResponse: Sendable {
    package var status: HTTPResponseStatus
    package var headers: HTTPHeaders
    package var body: ByteBuffer

    package var requestID: String? {
        headers.first(name: "x-amz-request-id") ?? headers.first(name: "x-amzn-RequestId")
    }
}
