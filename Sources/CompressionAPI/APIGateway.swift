import Foundation
import Hummingbird
import LambdaRuntime
import Logging
import NIOCore

/// The request context of API Gateway events: no channel, the invocation's logger.
package struct APIGatewayRequestContext: RequestContext {
    package struct Source: RequestContextSource {
        package var logger: Logger
        package init(logger: Logger) { self.logger = logger }
    }
    package var coreContext: CoreRequestContextStorage
    package init(source: Source) { coreContext = .init(source: source) }
}

/// An API Gateway HTTP API event, payload format 2.0, with the fields a request needs.
package struct APIGatewayV2Request: Decodable, Sendable, Equatable {
    package struct Context: Decodable, Sendable, Equatable {
        package struct HTTP: Decodable, Sendable, Equatable {
            package var method: String
        }
        package var http: HTTP
        package var requestId: String?
    }
    package var version: String?
    package var rawPath: String
    package var rawQueryString: String?
    package var headers: [String: String]?
    package var cookies: [String]?
    package var body: String?
    package var isBase64Encoded: Bool?
    package var requestContext: Context

    /// Whether `event` has the shape of a payload 2.0 HTTP API event (`version` 2.0 and
    /// `requestContext.http.method`), without reading the rest.
    package static func matches(_ event: ByteBuffer) -> Bool {
        struct Probe: Decodable {
            struct Context: Decodable {
                struct HTTP: Decodable { var method: String }
                var http: HTTP?
            }
            var version: String?
            var requestContext: Context?
        }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: Data(event.readableBytesView)) else {
            return false
        }
        return probe.version == "2.0" && probe.requestContext?.http != nil
    }
}

/// The answer to an HTTP API event (payload 2.0).
package struct APIGatewayV2Response: Codable, Sendable, Equatable {
    package var statusCode: Int
    package var headers: [String: String]
    package var body: String
    package var isBase64Encoded: Bool
}

/// Serves API Gateway HTTP API events with the same router as `serve`.
package struct APIGatewayHandler: LambdaHandler {
    private let responder: RouterResponder<APIGatewayRequestContext>
    private let maxBodyBytes: Int

    package init(service: APIService) {
        responder = makeAPIRouter(service: service, context: APIGatewayRequestContext.self).buildResponder()
        maxBodyBytes = service.maxBodyBytes
    }

    package func handle(_ event: ByteBuffer, context: LambdaContext) async throws -> ByteBuffer {
        let response = await respond(to: event, logger: context.logger)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return ByteBuffer(bytes: try encoder.encode(response))
    }

    /// The event through the router; a malformed event is answered 400 like any bad request.
    package func respond(to event: ByteBuffer, logger: Logger) async -> APIGatewayV2Response {
        let response: Response
        do {
            let request = try makeRequest(event)
            var logger = logger
            logger[metadataKey: "hb.request.id"] = "\(request.id)"
            response = try await responder.respond(to: request.request, context: .init(source: .init(logger: logger)))
        } catch let error as APIError {
            response = error.response.hummingbird
        } catch {
            response = APIError.serverFault.response.hummingbird
        }
        return await Self.encode(response)
    }

    private func makeRequest(_ event: ByteBuffer) throws(APIError) -> (request: Request, id: String) {
        let decoded: APIGatewayV2Request
        do {
            decoded = try JSONDecoder().decode(APIGatewayV2Request.self, from: Data(event.readableBytesView))
        } catch {
            throw .invalidRequest("the API Gateway event cannot be read")
        }
        var fields = HTTPFields()
        for (name, value) in decoded.headers ?? [:] {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        if let cookies = decoded.cookies, !cookies.isEmpty {
            fields[.cookie] = cookies.joined(separator: "; ")
        }
        var body: [UInt8] = Array((decoded.body ?? "").utf8)
        if decoded.isBase64Encoded == true {
            guard let data = Data(base64Encoded: decoded.body ?? "") else {
                throw .invalidRequest("the body is not valid base64", field: "body")
            }
            body = Array(data)
        }
        guard body.count <= maxBodyBytes else { throw .payloadTooLarge(maxBodyBytes) }
        let method = HTTPRequest.Method(decoded.requestContext.http.method.uppercased())
        guard let method else { throw .methodNotAllowed }
        let query = decoded.rawQueryString ?? ""
        let head = HTTPRequest(
            method: method,
            scheme: "https",
            authority: decoded.headers?["host"],
            path: decoded.rawPath + (query.isEmpty ? "" : "?" + query),
            headerFields: fields
        )
        return (
            Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: body))),
            decoded.requestContext.requestId ?? ""
        )
    }

    /// Text bodies as text, anything else base64 (JSON and HTML are always UTF-8 here).
    static func encode(_ response: Response) async -> APIGatewayV2Response {
        let collector = BodyCollector()
        try? await response.body.write(collector)
        let bytes = collector.bytes
        var headers: [String: String] = [:]
        for field in response.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + "," + field.value } ?? field.value
        }
        if let text = String(validating: bytes, as: UTF8.self) {
            return APIGatewayV2Response(
                statusCode: Int(response.status.code),
                headers: headers,
                body: text,
                isBase64Encoded: false
            )
        }
        return APIGatewayV2Response(
            statusCode: Int(response.status.code),
            headers: headers,
            body: Data(bytes).base64EncodedString(),
            isBase64Encoded: true
        )
    }
}

/// Gathers a response body in memory (the API's bodies are small and already in one buffer).
private final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    private(set) var bytes: [UInt8] = []
    func write(_ buffer: ByteBuffer) async throws { bytes.append(contentsOf: buffer.readableBytesView) }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
