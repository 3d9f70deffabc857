import CompressionJob
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The API's routes: the one table both transports serve (`serve`, API Gateway events).
package enum APIRoute: String, CaseIterable, Sendable {
    case submit, task, results, benchmark, queue, download, health, dashboard

    package var method: HTTPRequest.Method {
        self == .submit ? .post : .get
    }

    /// The route pattern (also what the request log shows).
    package var path: String {
        switch self {
        case .submit: "/compress-dicom"
        // Literal segments win over the parameter in Hummingbird's trie, so `results` and
        // `benchmark` are never read as task ids (tested).
        case .task: "/compress-dicom/{taskId}"
        case .results: "/compress-dicom/results"
        case .benchmark: "/compress-dicom/benchmark"
        case .queue: "/queue"
        case .download: "/download"
        case .health: "/healthz"
        case .dashboard: "/"
        }
    }
}

/// The router over ``APIService``, for any request context: Hummingbird's server uses
/// `BasicRequestContext`, API Gateway events ``APIGatewayRequestContext``.
///
/// Every response is JSON (the dashboard HTML and the download redirect aside), Hummingbird's own
/// 404 and 405 included; `API_KEY` makes `x-api-key` required on every route but `/healthz`; each
/// request is logged with its method, route pattern, status and latency (never the query).
package func makeAPIRouter<Context: RequestContext>(
    service: APIService,
    context: Context.Type = Context.self
) -> Router<Context> {
    let router = Router(context: Context.self)
    router.add(middleware: APIMiddleware<Context>(apiKey: service.configuration.apiKey))
    for route in APIRoute.allCases {
        router.on(RouterPath(route.path), method: route.method) { request, context -> Response in
            try await respond(route, request: request, context: context, service: service).hummingbird
        }
        if route.method == .get {
            // HEAD is the GET without its body (`curl -I`, uptime monitors).
            router.on(RouterPath(route.path), method: .head) { request, context -> Response in
                var response = try await respond(route, request: request, context: context, service: service)
                    .hummingbird
                response.body = ResponseBody()
                return response
            }
        }
    }
    // Other methods on a known path: 405 (JSON) rather than Hummingbird's 404.
    let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .head, .options]
    for path in Set(APIRoute.allCases.map(\.path)) {
        let taken = Set(
            APIRoute.allCases.filter { $0.path == path }.flatMap { $0.method == .get ? [.get, .head] : [$0.method] }
        )
        for method in methods where !taken.contains(method) {
            router.on(RouterPath(path), method: method) { _, _ -> Response in throw APIError.methodNotAllowed }
        }
    }
    return router
}

private func respond<Context: RequestContext>(
    _ route: APIRoute,
    request: Request,
    context: Context,
    service: APIService
) async throws(APIError) -> APIResponse {
    let logger = context.logger
    let query = request.uri.query
    switch route {
    case .submit:
        return try await service.submit(
            query: query,
            body: try await collectBody(request, limit: service.maxBodyBytes),
            logger: logger
        )
    case .task:
        return try await service.task(context.parameters.get("taskId") ?? "", logger: logger)
    case .results: return try await service.results(query: query, logger: logger)
    case .benchmark: return try await service.benchmark(logger: logger)
    case .queue: return try await service.queue(logger: logger)
    case .download: return try await service.download(query: query, logger: logger)
    case .health: return service.health()
    case .dashboard: return await service.dashboard(logger: logger)
    }
}

/// The body, at most `limit` bytes (413 beyond, also when Content-Length says so up front).
private func collectBody(_ request: Request, limit: Int) async throws(APIError) -> [UInt8] {
    if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
        throw .payloadTooLarge(limit)
    }
    do {
        let buffer = try await request.body.collect(upTo: limit)
        return Array(buffer.readableBytesView)
    } catch is NIOTooManyBytesError {
        throw .payloadTooLarge(limit)
    } catch {
        throw .invalidRequest("the request body could not be read")
    }
}

/// The API key, JSON errors for everything thrown (Hummingbird's own errors too), and the request log.
struct APIMiddleware<Context: RequestContext>: RouterMiddleware {
    let apiKey: String?

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        if let apiKey, request.uri.path != APIRoute.health.path,
            !constantTimeEqual(request.headers[HTTPField.Name("x-api-key")!] ?? "", apiKey)
        {
            response = APIError.unauthorized.response.hummingbird
        } else {
            do {
                response = try await next(request, context)
            } catch let error as APIError {
                response = error.response.hummingbird
            } catch let error as HTTPError {
                response = Self.apiError(for: error).response.hummingbird
            } catch {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
                response = APIError.serverFault.response.hummingbird
            }
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info(
            "request",
            metadata: [
                "http.method": "\(request.method.rawValue)",
                "http.route": "\(context.endpointPath ?? "unmatched")",
                "http.status": "\(response.status.code)",
                "latency_ms": "\(String(format: "%.1f", milliseconds))",
            ]
        )
        return response
    }

    static func apiError(for error: HTTPError) -> APIError {
        switch error.status.code {
        case 404: .notFound("no such route")
        case 405: .methodNotAllowed
        case 413: .payloadTooLarge(nil)
        default: .invalidRequest(error.body ?? "the request cannot be served")
        }
    }
}

/// Compares without an early exit, so the time does not tell how much of a guessed key was right.
func constantTimeEqual(_ given: String, _ expected: String) -> Bool {
    let a = Array(given.utf8)
    let b = Array(expected.utf8)
    var difference = UInt8(a.count == b.count ? 0 : 1)
    for index in 0..<max(a.count, b.count) {
        difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
    }
    return difference == 0
}

extension APIResponse {
    /// As Hummingbird's response (header names that HTTP cannot carry are dropped).
    var hummingbird: Response {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}

/// HTTPTypes' field, reached through Hummingbird's re-exported `HTTPFields`.
typealias HTTPField = HTTPFields.Element
