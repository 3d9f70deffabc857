import AWSClients
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `dicom-j2k serve` on port 0: it logs the port it bound, serves, and stops with exit
/// status 0 on SIGTERM.
@Suite(
    .enabled(if: APILocalStack.shouldRun, "needs DICOM_J2K_TEST_ENDPOINT (scripts/test.sh starts LocalStack)"),
    .needs(.dicomJ2KExecutable)
)
struct ServeCommandTests {
    @Test func serveOnPortZeroAnswersAndStopsGracefullyOnSIGTERM() async throws {
        let env = try APILocalStack.require("serve")
        let tool = try TestEnvironment.dicomJ2KExecutable()
        try await env.withClientsAndQueue("serve") { _, _, _, queueURL in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = ["serve", "--port", "0"]
            process.environment = ProcessInfo.processInfo.environment.merging(
                env.processEnvironment(queueURL: queueURL).merging(["LOG_LEVEL": "info", "API_KEY": ""]) { $1 }
            ) { $1 }
            let stderr = Pipe()
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            let output = LockedText()
            stderr.fileHandleForReading.readabilityHandler = { handle in
                let text = String(decoding: handle.availableData, as: UTF8.self)
                output.append(text)
            }
            try process.run()
            defer { if process.isRunning { process.terminate() } }

            var port: Int?
            for _ in 0..<200 where port == nil {
                try await Task.sleep(for: .milliseconds(50))
                let text = output.text
                if let line = text.split(separator: "\n").first(where: { $0.contains("serving the API") }),
                    let field = line.split(separator: " ").first(where: { $0.hasPrefix("port=") })
                {
                    port = Int(field.dropFirst(5))
                }
            }
            let bound = try #require(port, "no 'serving the API' line: \(output.text)")
            #expect(bound > 0)
            try await withPlainHTTPClient { http in
                let api = APIClient(http: http, port: bound)
                let health = try await api.send(.GET, "/healthz")
                #expect(health.status == 200)
                let queue = try await api.send(.GET, "/queue")
                #expect(queue.status == 200, "\(queue)")
                #expect(queue.json?["depth"] as? Int == 0)
                let bad = try await api.send(.POST, "/compress-dicom?compressionRate=0")
                #expect(bad.status == 400)
            }
            kill(process.processIdentifier, SIGTERM)
            for _ in 0..<200 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
            #expect(!process.isRunning, "serve did not stop within 10 s of SIGTERM")
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            stderr.fileHandleForReading.readabilityHandler = nil
            let log = output.text
            // The request log: method, route pattern, status, latency; never the query.
            #expect(log.contains("http.route=/compress-dicom"))
            #expect(log.contains("http.status=400"))
            #expect(!log.contains("compressionRate=0"))
        }
    }
}

/// Text appended from the pipe's reader thread and read from the test.
private final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    func append(_ text: String) { lock.withLock { value += text } }
    var text: String { lock.withLock { value } }
}
