import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// A scripted Lambda Runtime API on 127.0.0.1 (port 0), the fake for what Lambda cannot be asked to
/// do on demand. `next` answers the scripted invocations in order, then holds the long poll open
/// (as Lambda does between events); `response`, `error` and `init/error` posts are recorded and
/// answered 202.
public final class ScriptedRuntimeAPI: Sendable {
    /// One invocation to hand out: the headers Lambda sends and the event.
    public struct Invocation: Sendable {
        public var requestID: String
        public var deadline: Date
        public var traceID: String?
        public var functionARN: String?
        public var event: String
        /// Headers to leave out or replace (name → value; `nil` removes), for malformed invocations.
        public var headerOverrides: [String: String?]

        public init(
            requestID: String,
            deadline: Date = Date().addingTimeInterval(300),
            traceID: String? = nil,
            functionARN: String? = nil,
            event: String,
            headerOverrides: [String: String?] = [:]
        ) {
            self.requestID = requestID
            self.deadline = deadline
            self.traceID = traceID
            self.functionARN = functionARN
            self.event = event
            self.headerOverrides = headerOverrides
        }
    }

    /// A post the runtime made.
    public struct Post: Sendable {
        public var path: String
        public var headers: [(String, String)]
        public var body: String

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    private struct State {
        var script: [Invocation]
        var posts: [Post] = []
        var nextRequests = 0
    }

    private let state: Mutex<State>
    private let boundPort = Mutex(0)

    private init(script: [Invocation]) { state = Mutex(State(script: script)) }

    /// `127.0.0.1:<port>`, the value for `AWS_LAMBDA_RUNTIME_API`.
    public var hostAndPort: String { "127.0.0.1:\(boundPort.withLock { $0 })" }

    /// Every post so far, in order.
    public var posts: [Post] { state.withLock { $0.posts } }

    /// How many `next` requests arrived (answered or held).
    public var nextRequests: Int { state.withLock { $0.nextRequests } }

    /// Waits until at least `count` posts arrived (or `timeout` passed) and returns them.
    public func waitForPosts(_ count: Int, timeout: Duration = .seconds(60)) async throws -> [Post] {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            let posts = self.posts
            if posts.count >= count { return posts }
            try await Task.sleep(for: .milliseconds(20))
        }
        return posts
    }

    /// Starts a server with `script`, runs `body`, stops the server on every path.
    public static func withServer<T>(
        script: [Invocation],
        _ body: (ScriptedRuntimeAPI) async throws -> T
    ) async throws -> T {
        let server = ScriptedRuntimeAPI(script: script)
        return try await withLoopbackHTTPServer(
            { Handler(server: server) },
            { port in
                server.boundPort.withLock { $0 = port }
                return try await body(server)
            }
        )
    }

    /// The answer to a request: status, headers, body; `nil` holds the request open.
    fileprivate func answer(
        method: HTTPMethod,
        uri: String,
        headers: HTTPHeaders,
        body: String
    )
        -> (HTTPResponseStatus, [(String, String)], String)?
    {
        let prefix = "/2018-06-01/runtime"
        if method == .GET, uri == prefix + "/invocation/next" {
            return state.withLock { state in
                state.nextRequests += 1
                guard !state.script.isEmpty else { return nil }
                let invocation = state.script.removeFirst()
                var fields: [String: String?] = [
                    "Lambda-Runtime-Aws-Request-Id": invocation.requestID,
                    "Lambda-Runtime-Deadline-Ms": String(Int64(invocation.deadline.timeIntervalSince1970 * 1000)),
                    "Lambda-Runtime-Trace-Id": invocation.traceID,
                    "Lambda-Runtime-Invoked-Function-Arn": invocation.functionARN,
                    "Content-Type": "application/json",
                ]
                for (name, value) in invocation.headerOverrides { fields[name] = value }
                let headers = fields.compactMap { name, value in value.map { (name, $0) } }
                return (.ok, headers, invocation.event)
            }
        }
        if method == .POST, uri.hasPrefix(prefix + "/") {
            let post = Post(
                path: String(uri.dropFirst(prefix.count)),
                headers: headers.map { ($0.name, $0.value) },
                body: body
            )
            state.withLock { $0.posts.append(post) }
            return (.accepted, [("Content-Type", "application/json")], #"{"status":"OK"}"#)
        }
        return (.notFound, [], "")
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let server: ScriptedRuntimeAPI
        var head: HTTPRequestHead?
        var body = ByteBuffer()

        init(server: ScriptedRuntimeAPI) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = context.channel.allocator.buffer(capacity: 0)
            case .body(var chunk):
                body.writeBuffer(&chunk)
            case .end:
                guard let head else { return }
                guard
                    let (status, headers, text) = server.answer(
                        method: head.method,
                        uri: head.uri,
                        headers: head.headers,
                        body: String(buffer: body)
                    )
                else { return }  // a held long poll: never answered
                var responseHeaders = HTTPHeaders(headers)
                let bytes = ByteBuffer(string: text)
                responseHeaders.add(name: "content-length", value: String(bytes.readableBytes))
                context.write(
                    wrapOutboundOut(
                        .head(HTTPResponseHead(version: .http1_1, status: status, headers: responseHeaders))
                    ),
                    promise: nil
                )
                context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
