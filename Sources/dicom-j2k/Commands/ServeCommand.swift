import ArgumentParser
import CompressionAPI
import CompressionJob
import Foundation
import Hummingbird
import Logging
import UnixSignals

/// `dicom-j2k serve`: the prototype's HTTP API in front of the queue, and the dashboard.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API (POST /compress-dicom, results, queue, downloads) and the dashboard.",
        discussion: """
            The worker's configuration (README, "Configuration"): QUEUE_URL for submissions, RESULTS_URI \
            (or DEFAULT_TARGET_URI) for the results, ALLOWED_BUCKETS, the limits, and API_KEY (then \
            every route but /healthz needs the x-api-key header). Routes: docs/api.md. SIGTERM/SIGINT \
            stop it gracefully.
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port (0: any free port, printed in the log).")
    var port = 3001

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0…65535") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = WorkerLogging.logger(environment)
        try await CompressionJobHandler.withHandler(
            environment: environment,
            mode: .local,
            version: DicomJ2KVersion.string,
            logger: logger
        ) { handler, sqs in
            let service = APIService(
                configuration: handler.configuration,
                s3: handler.s3,
                sqs: sqs,
                version: DicomJ2KVersion.string,
                host: handler.host
            )
            if service.resultsPrefix == nil {
                logger.warning("no RESULTS_URI or DEFAULT_TARGET_URI: the result routes answer 503")
            }
            let app = APIServer.application(service: service, host: host, port: port, logger: logger) { port in
                logger.notice("serving the API", metadata: ["host": "\(host)", "port": "\(port)"])
            }
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        }
    }
}
