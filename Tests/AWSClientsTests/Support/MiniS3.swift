import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Just enough S3 behind a ``FaultServer`` to check what multipart uploads and resumed downloads
/// leave behind: objects, multipart uploads with their parts, and aborts. A `fault` closure may
/// replace any answer, to inject the failures under test.
final class MiniS3: Sendable {
    struct State {
        var objects: [String: [UInt8]] = [:]
        var uploads: [String: [Int: [UInt8]]] = [:]
        /// The path (`/bucket/key`) each upload was created for.
        var uploadPaths: [String: String] = [:]
        var aborted: [String] = []
        var nextUpload = 1
    }

    let state = Mutex(State())
    let fault: @Sendable (FaultServer.Request, Int) -> FaultServer.Action?

    init(fault: @escaping @Sendable (FaultServer.Request, Int) -> FaultServer.Action? = { _, _ in nil }) {
        self.fault = fault
    }

    func object(_ path: String) -> [UInt8]? { state.withLock { $0.objects[path] } }
    var aborted: [String] { state.withLock { $0.aborted } }
    var openUploads: Int { state.withLock { $0.uploads.count } }

    static func etag(_ bytes: [UInt8]) -> String {
        "\"\(Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined())\""
    }

    var behaviour: FaultServer.Behaviour {
        { request, index in
            if let action = self.fault(request, index) { return action }
            return self.answer(request)
        }
    }

    func answer(_ request: FaultServer.Request) -> FaultServer.Action {
        let query = Dictionary(
            request.query.split(separator: "&").map { pair -> (String, String) in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            },
            uniquingKeysWith: { $1 }
        )
        let path = request.path
        return state.withLock { state -> FaultServer.Action in
            switch (request.method, query["uploads"], query["uploadId"]) {
            case (.GET, .some, _):
                // ListMultipartUploads: the bucket is the path, keys start after it.
                let prefix = (query["prefix"] ?? "").removingPercentEncoding ?? ""
                var xml = "<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>false</IsTruncated>"
                for (id, uploadPath) in state.uploadPaths.sorted(by: { $0.key < $1.key })
                where state.uploads[id] != nil {
                    let key = String(uploadPath.dropFirst(path.count + 1))
                    guard uploadPath.hasPrefix(path + "/"), key.hasPrefix(prefix) else { continue }
                    xml += "<Upload><Key>\(key)</Key><UploadId>\(id)</UploadId>"
                    xml += "<Initiated>\(Date().ISO8601Format())</Initiated></Upload>"
                }
                return .respond(.ok, body: ByteBuffer(string: xml + "</ListMultipartUploadsResult>"))
            case (.POST, .some, _):
                let id = "upload-\(state.nextUpload)"
                state.nextUpload += 1
                state.uploads[id] = [:]
                state.uploadPaths[id] = path
                return .respond(
                    .ok,
                    body: ByteBuffer(
                        string:
                            "<InitiateMultipartUploadResult><UploadId>\(id)</UploadId></InitiateMultipartUploadResult>"
                    )
                )
            case (.PUT, _, let id?):
                guard state.uploads[id] != nil, let number = query["partNumber"].flatMap({ Int($0) }) else {
                    return .respond(.notFound, body: s3ErrorBody("NoSuchUpload"))
                }
                state.uploads[id]?[number] = request.bodyBytes
                return .respond(.ok, headers: [("ETag", Self.etag(request.bodyBytes))])
            case (.POST, _, let id?):
                guard let parts = state.uploads[id] else {
                    return .respond(.notFound, body: s3ErrorBody("NoSuchUpload"))
                }
                if request.header("if-none-match") == "*", state.objects[path] != nil {
                    return .respond(.preconditionFailed, body: s3ErrorBody("PreconditionFailed"))
                }
                let bytes = parts.keys.sorted().flatMap { parts[$0] ?? [] }
                state.objects[path] = bytes
                state.uploads[id] = nil
                let digests = parts.keys.sorted().flatMap { Array(Insecure.MD5.hash(data: parts[$0] ?? [])) }
                let etag =
                    "\"\(Insecure.MD5.hash(data: digests).map { String(format: "%02x", $0) }.joined())-\(parts.count)\""
                return .respond(
                    .ok,
                    body: ByteBuffer(
                        string:
                            "<CompleteMultipartUploadResult><ETag>\(etag.replacingOccurrences(of: "\"", with: "&quot;"))</ETag></CompleteMultipartUploadResult>"
                    )
                )
            case (.DELETE, _, let id?):
                state.uploads[id] = nil
                state.aborted.append(id)
                return .respond(.noContent)
            case (.PUT, nil, nil):
                if request.header("if-none-match") == "*", state.objects[path] != nil {
                    return .respond(.preconditionFailed, body: s3ErrorBody("PreconditionFailed"))
                }
                state.objects[path] = request.bodyBytes
                return .respond(.ok, headers: [("ETag", Self.etag(request.bodyBytes))])
            case (.GET, nil, nil), (.HEAD, nil, nil):
                guard let bytes = state.objects[path] else {
                    return .respond(.notFound, body: s3ErrorBody("NoSuchKey"))
                }
                return Self.get(request, bytes)
            default:
                return .respond(.badRequest, body: s3ErrorBody("InvalidRequest"))
            }
        }
    }

    static func get(_ request: FaultServer.Request, _ bytes: [UInt8]) -> FaultServer.Action {
        let etag = Self.etag(bytes)
        if let ifMatch = request.header("if-match"), ifMatch != etag {
            return .respond(.preconditionFailed, body: s3ErrorBody("PreconditionFailed"))
        }
        var range = 0..<bytes.count
        var status = HTTPResponseStatus.ok
        var headers = [("ETag", etag)]
        if let header = request.header("range"), header.hasPrefix("bytes=") {
            let bounds = header.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
            let first = Int(bounds[0]) ?? 0
            let last = bounds.count > 1 ? Int(bounds[1]) ?? (bytes.count - 1) : bytes.count - 1
            range = first..<(min(last, bytes.count - 1) + 1)
            status = .partialContent
            headers.append(("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(bytes.count)"))
        }
        let body = request.method == .HEAD ? ByteBuffer() : ByteBuffer(bytes: bytes[range])
        if request.method == .HEAD { headers.append(("Content-Length", "\(range.count)")) }
        return .respond(status, headers: headers, body: body)
    }
}
