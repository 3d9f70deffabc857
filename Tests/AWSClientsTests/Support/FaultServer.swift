import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import TestSupport

/// A scripted HTTP/1.1 server on 127.0.0.1 (port 0), for the faults a real service cannot produce on
/// demand: 503s, slow answers, connections reset mid-body, errors inside a 200.
///
/// Every request is recorded; the behaviour closure decides each answer from the request and its
/// index (0 for the first request the server sees).
final class FaultServer: Sendable {
    struct Request: Sendable {
        var method: HTTPMethod
        var uri: String
        var headers: HTTPHeaders
        var body: ByteBuffer

        var path: String { String(uri.prefix { $0 != "?" }) }
        var query: String { uri.firstIndex(of: "?").map { String(uri[uri.index(after: $0)...]) } ?? "" }
        func header(_ name: String) -> String? { headers.first(name: name) }
        var bodyBytes: [UInt8] { Array(body.readableBytesView) }
    }

    indirect enum Action: Sendable {
        /// A complete response (Content-Length set from the body).
        case respond(HTTPResponseStatus, headers: [(String, String)] = [], body: ByteBuffer = ByteBuffer())
        /// Waits, then does `then`.
        case delay(TimeAmount, then: Action)
        /// Sends the head announcing `fullLength` bytes, then `partialBody`, then resets the connection.
        case resetMidBody(HTTPResponseStatus, headers: [(String, String)], partialBody: ByteBuffer, fullLength: Int)
        /// Like `resetMidBody`, but closes the connection cleanly (FIN) instead of resetting it.
        case closeMidBody(HTTPResponseStatus, headers: [(String, String)], partialBody: ByteBuffer, fullLength: Int)
        /// Resets the connection without answering.
        case reset
    }

    typealias Behaviour = @Sendable (Request, Int) -> Action

    private let recorded = Mutex<[Request]>([])
    private let behaviour: Behaviour
    private let boundPort = Mutex(0)

    /// The port the server listens on.
    var port: Int { boundPort.withLock { $0 } }

    private init(behaviour: @escaping Behaviour) { self.behaviour = behaviour }

    /// Every request received so far, in order.
    var requests: [Request] { recorded.withLock { $0 } }

    /// `http://127.0.0.1:<port>`.
    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Starts a server, runs `body`, and stops the server on every path.
    static func withServer<T>(
        _ behaviour: @escaping Behaviour,
        _ body: (FaultServer) async throws -> T
    ) async throws -> T {
        let server = FaultServer(behaviour: behaviour)
        return try await withLoopbackHTTPServer(
            { Handler(server: server) },
            { port in
                server.boundPort.withLock { $0 = port }
                return try await body(server)
            }
        )
    }

    fileprivate func handle(_ request: Request) -> Action {
        let index = recorded.withLock { requests in
            requests.append(request)
            return requests.count - 1
        }
        return behaviour(request, index)
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let server: FaultServer
        var head: HTTPRequestHead?
        var body = ByteBuffer()

        init(server: FaultServer) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = context.channel.allocator.buffer(capacity: 0)
            case .body(var chunk):
                body.writeBuffer(&chunk)
            case .end:
                guard let head else { return }
                let action = server.handle(
                    Request(method: head.method, uri: head.uri, headers: head.headers, body: body)
                )
                perform(action, context: context)
            }
        }

        func perform(_ action: Action, context: ChannelHandlerContext) {
            switch action {
            case .respond(let status, let headers, let body):
                var responseHeaders = HTTPHeaders(headers)
                // A HEAD answer announces the object's length without a body.
                if !responseHeaders.contains(name: "content-length") {
                    responseHeaders.add(name: "content-length", value: String(body.readableBytes))
                }
                context.write(
                    wrapOutboundOut(
                        .head(HTTPResponseHead(version: .http1_1, status: status, headers: responseHeaders))
                    ),
                    promise: nil
                )
                context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            case .delay(let amount, let then):
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: amount) {
                    let (handler, context) = loopBound.value
                    guard context.channel.isActive else { return }
                    handler.perform(then, context: context)
                }
            case .resetMidBody(let status, let headers, let partial, let fullLength):
                var responseHeaders = HTTPHeaders(headers)
                responseHeaders.replaceOrAdd(name: "content-length", value: String(fullLength))
                context.write(
                    wrapOutboundOut(
                        .head(HTTPResponseHead(version: .http1_1, status: status, headers: responseHeaders))
                    ),
                    promise: nil
                )
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(partial))), promise: nil)
                reset(context)
            case .closeMidBody(let status, let headers, let partial, let fullLength):
                var responseHeaders = HTTPHeaders(headers)
                responseHeaders.replaceOrAdd(name: "content-length", value: String(fullLength))
                let head = HTTPResponseHead(version: .http1_1, status: status, headers: responseHeaders)
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(partial)))).whenComplete { _ in
                    channel.close(promise: nil)
                }
            case .reset:
                reset(context)
            }
        }

        /// SO_LINGER 0 turns close() into a TCP RST, as a crashing proxy or load balancer produces.
        func reset(_ context: ChannelHandlerContext) {
            if let provider = context.channel as? any SocketOptionProvider {
                let channel = context.channel
                provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        }
    }
}
