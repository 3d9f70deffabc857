import Logging
import NIOCore

/// What the runtime loop runs for each invocation: the raw event in, the raw response out.
///
/// Higher layers decode the event (an SQS batch, later an API Gateway request) and encode their
/// answer; the runtime only moves bytes.
public protocol LambdaHandler: Sendable {
    /// Handles one invocation.
    ///
    /// - Parameters:
    ///   - event: the invocation's payload as the Runtime API delivered it (usually JSON).
    ///   - context: request id, deadline, trace id and a logger carrying the request id.
    /// - Returns: the response body, posted to `/invocation/{requestId}/response`.
    /// - Throws: any error; the runtime reports it to `/invocation/{requestId}/error` (its type and
    ///   description become `errorType` and `errorMessage`) and goes on with the next invocation.
    func handle(_ event: ByteBuffer, context: LambdaContext) async throws -> ByteBuffer
}
