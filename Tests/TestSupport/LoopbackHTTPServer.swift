import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 server on 127.0.0.1 (port 0) for the test servers (`ScriptedRuntimeAPI`, the AWS
/// clients' `FaultServer`): every connection gets a new handler from `makeHandler` behind NIO's HTTP
/// server pipeline; `body` runs with the bound port, and the server is closed on every path.
public func withLoopbackHTTPServer<T>(
    _ makeHandler: @escaping @Sendable () -> any ChannelHandler & Sendable,
    _ body: (_ port: Int) async throws -> T
) async throws -> T {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.pipeline.configureHTTPServerPipeline().flatMap {
                channel.pipeline.addHandler(makeHandler())
            }
        }
        .bind(host: "127.0.0.1", port: 0)
        .get()
    do {
        let result = try await body(channel.localAddress?.port ?? 0)
        try await channel.close()
        return result
    } catch {
        try? await channel.close()
        throw error
    }
}
