import Foundation
import LambdaRuntime
import Logging
import NIOCore
import Synchronization
import TestSupport
import Testing

/// The runtime loop against a scripted Runtime API on 127.0.0.1: next → handler → response or
/// error, headers into the context, init errors.
@Suite struct LambdaRuntimeLoopTests {
    /// Echoes the event upper-cased, fails on `"fail"`, and records each context it saw.
    final class EchoHandler: LambdaHandler {
        struct Failure: Error, CustomStringConvertible {
            var description: String { "the event asked to fail" }
        }
        let contexts = Mutex<[LambdaContext]>([])
        let traceVariables = Mutex<[String?]>([])

        func handle(_ event: ByteBuffer, context: LambdaContext) async throws -> ByteBuffer {
            contexts.withLock { $0.append(context) }
            traceVariables.withLock { $0.append(ProcessInfo.processInfo.environment["_X_AMZN_TRACE_ID"]) }
            let text = String(buffer: event)
            if text == "fail" { throw Failure() }
            return ByteBuffer(string: text.uppercased())
        }
    }

    /// Runs the runtime against `script` until `posts` posts arrived, then cancels it.
    func run<Handler: LambdaHandler>(
        _ script: [ScriptedRuntimeAPI.Invocation],
        expecting posts: Int,
        makeHandler: @escaping @Sendable () async throws -> Handler
    ) async throws -> (posts: [ScriptedRuntimeAPI.Post], runError: (any Error)?) {
        try await ScriptedRuntimeAPI.withServer(script: script) { server in
            let environment = ["AWS_LAMBDA_RUNTIME_API": server.hostAndPort]
            let runtime = Task {
                try await LambdaRuntime.run(environment: environment, logger: testLogger, makeHandler: makeHandler)
            }
            let received = try await server.waitForPosts(posts)
            runtime.cancel()
            do {
                try await runtime.value
                return (received, nil)
            } catch {
                return (received, error)
            }
        }
    }

    @Test func answersEachInvocationAndSurvivesAThrowingHandler() async throws {
        let handler = EchoHandler()
        let deadline = Date(timeIntervalSince1970: 4_102_444_800.123)  // 2100-01-01, with milliseconds
        let script = [
            ScriptedRuntimeAPI.Invocation(
                requestID: "req-1",
                deadline: deadline,
                traceID: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
                functionARN: "arn:aws:lambda:us-east-1:123456789012:function:dicom-j2k",
                event: "hello"
            ),
            ScriptedRuntimeAPI.Invocation(requestID: "req-2", event: "fail"),
            ScriptedRuntimeAPI.Invocation(requestID: "req-3", event: "again"),
        ]
        let (posts, runError) = try await run(script, expecting: 3) { handler }
        #expect(runError == nil)
        #expect(
            posts.map(\.path) == [
                "/invocation/req-1/response", "/invocation/req-2/error", "/invocation/req-3/response",
            ]
        )
        #expect(posts.map(\.body).first == "HELLO")
        #expect(posts.last?.body == "AGAIN")

        // The error document as Lambda expects it.
        let errorPost = posts[1]
        #expect(errorPost.header("Lambda-Runtime-Function-Error-Type") == "Unhandled")
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(errorPost.body.utf8)) as? [String: String]
        )
        #expect(document == ["errorMessage": "the event asked to fail", "errorType": "Failure"])

        // The headers reached the context.
        let contexts = handler.contexts.withLock { $0 }
        #expect(contexts.map(\.requestID) == ["req-1", "req-2", "req-3"])
        let first = try #require(contexts.first)
        #expect(first.traceID == script[0].traceID)
        #expect(first.invokedFunctionARN == script[0].functionARN)
        #expect(abs(first.deadline.timeIntervalSince1970 - 4_102_444_800.123) < 0.0005)
        #expect(first.remainingTime > .seconds(3_600))
        #expect(contexts[1].traceID == nil)
        // _X_AMZN_TRACE_ID follows each invocation, as in the official runtimes.
        #expect(handler.traceVariables.withLock { $0 } == [script[0].traceID, nil, nil])
    }

    @Test func theContextCarriesTheDeadlineAndALoggerWithTheRequestID() async throws {
        let capture = LogCapture()
        struct DeadlineHandler: LambdaHandler {
            let capture: LogCapture
            func handle(_ event: ByteBuffer, context: LambdaContext) async throws -> ByteBuffer {
                context.logger.info("inside")
                return ByteBuffer(string: "\(context.remainingTime.components.seconds)")
            }
        }
        let deadline = Date().addingTimeInterval(42)
        let script = [ScriptedRuntimeAPI.Invocation(requestID: "req-deadline", deadline: deadline, event: "{}")]
        let posts = try await ScriptedRuntimeAPI.withServer(script: script) { server in
            let runtime = Task {
                try await LambdaRuntime.run(
                    environment: ["AWS_LAMBDA_RUNTIME_API": server.hostAndPort],
                    logger: capture.logger,
                    makeHandler: { DeadlineHandler(capture: capture) }
                )
            }
            let posts = try await server.waitForPosts(1)
            runtime.cancel()
            try await runtime.value
            return posts
        }
        let remaining = try #require(Int(posts.first?.body ?? ""))
        #expect((38...42).contains(remaining))
        let inside = try #require(capture.all.first { $0.message == "inside" })
        #expect(inside.metadata["aws-request-id"] == "req-deadline")
    }

    @Test func anInvocationWithoutADeadlineIsReportedAndTheLoopGoesOn() async throws {
        let script = [
            ScriptedRuntimeAPI.Invocation(
                requestID: "req-bad",
                event: "x",
                headerOverrides: ["Lambda-Runtime-Deadline-Ms": "soon"]
            ),
            ScriptedRuntimeAPI.Invocation(requestID: "req-good", event: "y"),
        ]
        let (posts, runError) = try await run(script, expecting: 2) { EchoHandler() }
        #expect(runError == nil)
        #expect(posts.map(\.path) == ["/invocation/req-bad/error", "/invocation/req-good/response"])
        #expect(posts.first?.body.contains("Lambda-Runtime-Deadline-Ms") == true)
    }

    @Test func anInitErrorIsPostedAndRethrown() async throws {
        struct NoConfiguration: Error, CustomStringConvertible {
            var description: String { "RESULTS_URI is not set" }
        }
        let (posts, runError) = try await run([], expecting: 1) { () async throws -> EchoHandler in
            throw NoConfiguration()
        }
        #expect(posts.map(\.path) == ["/init/error"])
        #expect(posts.first?.header("Lambda-Runtime-Function-Error-Type") == "Unhandled")
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(posts[0].body.utf8)) as? [String: String]
        )
        #expect(document == ["errorMessage": "RESULTS_URI is not set", "errorType": "NoConfiguration"])
        #expect(runError is NoConfiguration)
    }

    @Test func cancellationEndsTheLongPollQuietly() async throws {
        try await ScriptedRuntimeAPI.withServer(script: []) { server in
            let runtime = Task {
                try await LambdaRuntime.run(
                    environment: ["AWS_LAMBDA_RUNTIME_API": server.hostAndPort],
                    logger: testLogger,
                    makeHandler: { EchoHandler() }
                )
            }
            // Wait until the loop is inside its long poll, then cancel.
            let end = ContinuousClock.now + .seconds(30)
            while server.nextRequests == 0, ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(20)) }
            #expect(server.nextRequests == 1)
            runtime.cancel()
            try await runtime.value
            #expect(server.posts.isEmpty)
        }
    }

    @Test func withoutTheRuntimeAPIVariableRunFailsWithATypedError() async throws {
        let error = await #expect(throws: LambdaRuntimeError.self) {
            try await LambdaRuntime.run(environment: [:], logger: testLogger, makeHandler: { EchoHandler() })
        }
        #expect(error?.code == .missingRuntimeAPI)
        let invalid = await #expect(throws: LambdaRuntimeError.self) {
            try await LambdaRuntime.run(
                environment: ["AWS_LAMBDA_RUNTIME_API": "http://x/y"],
                logger: testLogger,
                makeHandler: { EchoHandler() }
            )
        }
        #expect(invalid?.code == .invalidRuntimeAPI)
    }
}

let testLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()
