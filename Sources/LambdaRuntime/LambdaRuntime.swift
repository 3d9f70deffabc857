import Foundation
import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The Lambda Runtime API loop (a custom runtime; shaped on swift-aws-lambda-runtime's
/// `LambdaRuntime` and `Lambda.runLoop`).
public enum LambdaRuntime {
    /// The environment variable Lambda sets to the Runtime API's `host:port`.
    public static let runtimeAPIVariable = "AWS_LAMBDA_RUNTIME_API"

    /// Makes the handler and runs the loop until the task is cancelled.
    ///
    /// - Parameters:
    ///   - environment: usually `ProcessInfo.processInfo.environment`; must hold `AWS_LAMBDA_RUNTIME_API`.
    ///   - logger: the runtime's logger; each invocation's copy carries `aws-request-id`.
    ///   - makeHandler: builds the handler (configuration, clients). If it throws, the error is
    ///     posted to `/runtime/init/error` and rethrown: Lambda then ends the sandbox.
    /// - Throws: ``LambdaRuntimeError`` when the Runtime API is missing or fails (a lost connection
    ///   means the sandbox is going away), or the init error. Handler errors never end the loop.
    public static func run<Handler: LambdaHandler>(
        environment: [String: String],
        logger: Logger,
        makeHandler: () async throws -> Handler
    ) async throws {
        guard let runtimeAPI = environment[runtimeAPIVariable], !runtimeAPI.isEmpty else {
            throw LambdaRuntimeError(.missingRuntimeAPI, "\(runtimeAPIVariable) is not set (not running in Lambda)")
        }
        try await LambdaRuntimeClient.withRuntimeClient(runtimeAPI: runtimeAPI) { client in
            let handler: Handler
            do {
                handler = try await makeHandler()
            } catch {
                logger.error("Lambda init failed", metadata: ["error": "\(error)"])
                try? await client.reportInitError(error, logger: logger)
                throw error
            }
            try await runLoop(client: client, handler: handler, logger: logger)
        }
    }

    /// Posts `error` to `/runtime/init/error`, for a function that fails before ``run(environment:logger:makeHandler:)``
    /// could make its handler (for example a configuration read in a scope around it).
    public static func reportInitError(_ error: any Error, environment: [String: String], logger: Logger) async throws {
        guard let runtimeAPI = environment[runtimeAPIVariable], !runtimeAPI.isEmpty else {
            throw LambdaRuntimeError(.missingRuntimeAPI, "\(runtimeAPIVariable) is not set (not running in Lambda)")
        }
        try await LambdaRuntimeClient.withRuntimeClient(runtimeAPI: runtimeAPI) { client in
            try await client.reportInitError(error, logger: logger)
        }
    }

    /// next → handler → response or error, until cancelled.
    package static func runLoop<Handler: LambdaHandler>(
        client: LambdaRuntimeClient,
        handler: Handler,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws {
        do {
            while !Task.isCancelled {
                logger.trace("Waiting for the next invocation")
                let invocation = try await client.nextInvocation(logger: logger)
                var invocationLogger = logger
                invocationLogger[metadataKey: "aws-request-id"] = "\(invocation.requestID)"
                // As the official runtimes do, so code that reads the environment (X-Ray SDKs) finds it.
                setTraceIDVariable(invocation.traceID)

                guard let deadline = invocation.deadline else {
                    let error = LambdaRuntimeError(
                        .invalidHeader,
                        "Lambda-Runtime-Deadline-Ms is missing or not a number"
                    )
                    invocationLogger.error("Invocation without a deadline")
                    try await client.reportError(
                        requestID: invocation.requestID,
                        error: error,
                        logger: invocationLogger
                    )
                    continue
                }
                let context = LambdaContext(
                    requestID: invocation.requestID,
                    traceID: invocation.traceID,
                    invokedFunctionARN: invocation.invokedFunctionARN,
                    deadline: deadline,
                    logger: invocationLogger,
                    now: now
                )
                invocationLogger.debug(
                    "Invocation received",
                    metadata: ["event-bytes": "\(invocation.event.readableBytes)"]
                )
                let response: ByteBuffer
                do {
                    response = try await handler.handle(invocation.event, context: context)
                } catch {
                    invocationLogger.error(
                        "Handler failed",
                        metadata: ["error-type": "\(type(of: error))", "error": "\(error)"]
                    )
                    try await client.reportError(
                        requestID: invocation.requestID,
                        error: error,
                        logger: invocationLogger
                    )
                    continue
                }
                try await client.reportResponse(
                    requestID: invocation.requestID,
                    body: response,
                    logger: invocationLogger
                )
                invocationLogger.debug("Invocation answered")
            }
        } catch {
            // Cancellation (shutdown) ends the loop quietly; anything else is the Runtime API failing.
            if Task.isCancelled || error is CancellationError { return }
            throw error
        }
    }

    private static func setTraceIDVariable(_ traceID: String?) {
        if let traceID {
            setenv("_X_AMZN_TRACE_ID", traceID, 1)
        } else {
            unsetenv("_X_AMZN_TRACE_ID")
        }
    }
}
