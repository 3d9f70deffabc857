import Hummingbird
import Logging
import NIOCore

/// The API over HTTP (`dicom-j2k serve`): Hummingbird's server on ``makeAPIRouter(service:context:)``.
package enum APIServer {
    /// The application; `onServerRunning` gets the bound port (useful with port 0).
    package static func application(
        service: APIService,
        host: String,
        port: Int,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> Application<RouterResponder<BasicRequestContext>> {
        Application(
            router: makeAPIRouter(service: service, context: BasicRequestContext.self),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "dicom-j2k"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    /// Runs a server on 127.0.0.1 and a free port for the duration of `body` (tests).
    package static func withServer<T: Sendable>(
        service: APIService,
        logger: Logger,
        _ body: @Sendable (_ port: Int) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = application(service: service, host: "127.0.0.1", port: 0, logger: logger) { port in
            continuation.yield(port)
            continuation.finish()
        }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.run()
                return nil
            }
            guard let port = await ports.first(where: { _ in true }) else {
                group.cancelAll()
                throw APIError.unavailable("the server did not start")
            }
            do {
                let value = try await body(port)
                group.cancelAll()
                return value
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}
