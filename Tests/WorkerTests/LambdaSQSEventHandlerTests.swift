import CompressionJob
import Foundation
import LambdaRuntime
import Logging
import NIOCore
import Testing

@testable import Worker

/// The Lambda SQS adapter: records one after another, partial batch failures, the deadline policy.
@Suite struct LambdaSQSEventHandlerTests {
    static func event(_ records: [(id: String, body: String)], receiveCount: Int = 1) -> ByteBuffer {
        let items = records.map { record -> [String: Any] in
            [
                "messageId": record.id, "receiptHandle": "rh-\(record.id)", "body": record.body,
                "attributes": [
                    "ApproximateReceiveCount": "\(receiveCount)", "SentTimestamp": "1700000000123",
                    "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1700000000200",
                ],
                "messageAttributes": [:] as [String: Any], "md5OfBody": "x", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs", "awsRegion": "us-east-1",
            ]
        }
        let data = try! JSONSerialization.data(withJSONObject: ["Records": items])
        return ByteBuffer(bytes: data)
    }

    static func context(remaining: TimeInterval) -> LambdaContext {
        LambdaContext(requestID: "req", deadline: Date().addingTimeInterval(remaining), logger: quietLogger)
    }

    static func failures(_ buffer: ByteBuffer) throws -> [String] {
        let response = try JSONDecoder().decode(
            LambdaSQSEventHandler<ScriptedHandler>.BatchResponse.self,
            from: Data(buffer.readableBytesView)
        )
        return response.batchItemFailures.map(\.itemIdentifier)
    }

    static func options(
        margin: Duration = .seconds(1),
        minimum: Duration = .seconds(1)
    )
        -> LambdaSQSEventHandler<
            ScriptedHandler
        >.Options
    {
        var options = LambdaSQSEventHandler<ScriptedHandler>.Options()
        options.deadlineMargin = margin
        options.minimumJobTime = minimum
        return options
    }

    @Test func oneMalformedRecordOfThreeIsTheOnlyFailure() async throws {
        let job = ScriptedHandler()
        let handler = LambdaSQSEventHandler(handler: job, options: Self.options())
        let response = try await handler.handle(
            Self.event([("m-1", "ok"), ("m-2", "{not json"), ("m-3", "ok")], receiveCount: 2),
            context: Self.context(remaining: 300)
        )
        #expect(try Self.failures(response) == ["m-2"])
        #expect(String(buffer: response) == #"{"batchItemFailures":[{"itemIdentifier":"m-2"}]}"#)
        // One after another, in order, with the record's attributes.
        #expect(job.calls.map(\.message.messageId) == ["m-1", "m-2", "m-3"])
        let first = try #require(job.calls.first?.message)
        #expect(first.receiveCount == 2)
        #expect(first.sentAt == Date(timeIntervalSince1970: 1_700_000_000.123))
    }

    @Test func allCompletedAnswersAnEmptyListAndRetriesAreFailures() async throws {
        let job = ScriptedHandler()
        let handler = LambdaSQSEventHandler(handler: job, options: Self.options())
        let done = try await handler.handle(
            Self.event([("a", "ok"), ("b", "ok")]),
            context: Self.context(remaining: 300)
        )
        #expect(String(buffer: done) == #"{"batchItemFailures":[]}"#)
        let retried = try await handler.handle(
            Self.event([("c", "retry"), ("d", "ok")]),
            context: Self.context(remaining: 300)
        )
        #expect(try Self.failures(retried) == ["c"])
    }

    @Test func recordsThatCannotStartBeforeTheDeadlineAreReportedUntouched() async throws {
        let job = ScriptedHandler()
        // 2 s left, 1 s margin, 1.5 s minimum: the first record may not start.
        let handler = LambdaSQSEventHandler(
            handler: job,
            options: Self.options(margin: .seconds(1), minimum: .milliseconds(1500))
        )
        let response = try await handler.handle(
            Self.event([("x-1", "ok"), ("x-2", "ok"), ("x-3", "ok")]),
            context: Self.context(remaining: 2)
        )
        #expect(try Self.failures(response) == ["x-1", "x-2", "x-3"])
        #expect(job.calls.isEmpty)
    }

    @Test func theLongestRecordSoFarDecidesWhetherTheNextStarts() async throws {
        let job = ScriptedHandler()
        // 6 s left, 1 s margin. The first record takes 1 s, so the second needs 1 + 1 s and starts
        // (about 5 s left); it takes 2.5 s, so the third needs 2.5 + 1 s with about 2.5 s left,
        // and is reported. Delays under load only shorten the time left, which keeps the third out.
        let handler = LambdaSQSEventHandler(
            handler: job,
            options: Self.options(margin: .seconds(1), minimum: .milliseconds(100))
        )
        let response = try await handler.handle(
            Self.event([("s-1", "sleep:1"), ("s-2", "sleep:2.5"), ("s-3", "ok")]),
            context: Self.context(remaining: 6)
        )
        #expect(job.calls.map(\.message.messageId) == ["s-1", "s-2"])
        #expect(job.calls.map(\.cancelled) == [false, false])
        #expect(try Self.failures(response) == ["s-3"])
    }

    @Test func aRunningJobIsCancelledShortlyBeforeTheDeadline() async throws {
        let job = ScriptedHandler()
        let handler = LambdaSQSEventHandler(
            handler: job,
            options: Self.options(margin: .seconds(1), minimum: .milliseconds(100))
        )
        let start = ContinuousClock.now
        let response = try await handler.handle(
            Self.event([("long", "sleep:30"), ("after", "ok")]),
            context: Self.context(remaining: 3)
        )
        let elapsed = ContinuousClock.now - start
        #expect(try Self.failures(response) == ["long", "after"])
        #expect(job.calls.map(\.cancelled) == [true])
        // Cancelled about 2 s in (3 s left minus the 1 s margin), well before the job's 30 s.
        #expect(elapsed < .seconds(10))
    }

    @Test func aNonSQSEventIsAnErrorNamingWhatWasExpected() async throws {
        let handler = LambdaSQSEventHandler(handler: ScriptedHandler())
        for event in [#"{"routeKey":"GET /queue","rawPath":"/queue"}"#, "[1,2]", "not json"] {
            let error = await #expect(throws: WorkerError.self) {
                _ = try await handler.handle(ByteBuffer(string: event), context: Self.context(remaining: 300))
            }
            #expect(error?.code == .unsupportedEvent)
            #expect(error?.description.contains("expected an SQS event") == true)
        }
        // The right shape but a record without its id: the whole event fails.
        let error = await #expect(throws: WorkerError.self) {
            _ = try await handler.handle(
                ByteBuffer(string: #"{"Records":[{"eventSource":"aws:sqs","body":"ok"}]}"#),
                context: Self.context(remaining: 300)
            )
        }
        #expect(error?.code == .invalidEvent)
    }
}
