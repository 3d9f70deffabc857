import AWSClients
import Foundation
import TestSupport
import Testing

/// The built binary in `lambda` mode: an API Gateway HTTP API event is served by the API, an SQS
/// batch still by the job, anything else is an error naming both kinds.
@Suite(
    .enabled(if: APILocalStack.shouldRun, "needs DICOM_J2K_TEST_ENDPOINT (scripts/test.sh starts LocalStack)"),
    .needs(.dicomJ2KExecutable)
)
struct LambdaAPIEventTests {
    @Test func lambdaModeDispatchesAPIGatewayEventsToTheAPIAndNamesWhatItExpects() async throws {
        let env = try APILocalStack.require("lambda")
        let tool = try TestEnvironment.dicomJ2KExecutable()
        try await env.withClientsAndQueue("lambda") { _, _, _, queueURL in
            let health = String(
                decoding: APIIntegrationTests.gatewayEvent("GET", "/healthz", "", [:], nil),
                as: UTF8.self
            )
            let queue = String(
                decoding: APIIntegrationTests.gatewayEvent("GET", "/queue", "", [:], nil),
                as: UTF8.self
            )
            let sqs = #"{"Records":[{"messageId":"m1","body":"{not a job","eventSource":"aws:sqs"}]}"#
            let script = [
                ScriptedRuntimeAPI.Invocation(requestID: "r-health", event: health),
                ScriptedRuntimeAPI.Invocation(requestID: "r-queue", event: queue),
                ScriptedRuntimeAPI.Invocation(requestID: "r-sqs", event: sqs),
                ScriptedRuntimeAPI.Invocation(requestID: "r-other", event: #"{"detail-type":"Scheduled Event"}"#),
            ]
            let posts = try await ScriptedRuntimeAPI.withServer(script: script) { server in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: tool)
                process.arguments = ["lambda"]
                process.environment = ProcessInfo.processInfo.environment.merging(
                    env.processEnvironment(queueURL: queueURL).merging([
                        "AWS_LAMBDA_RUNTIME_API": server.hostAndPort, "API_KEY": "",
                    ]) { $1 }
                ) { $1 }
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                let posts = try await server.waitForPosts(4, timeout: .seconds(120))
                process.terminate()
                process.waitUntilExit()
                return posts
            }
            #expect(
                posts.map(\.path) == [
                    "/invocation/r-health/response", "/invocation/r-queue/response", "/invocation/r-sqs/response",
                    "/invocation/r-other/error",
                ]
            )
            let answer = try #require(
                try JSONSerialization.jsonObject(with: Data(posts[0].body.utf8)) as? [String: Any]
            )
            #expect(answer["statusCode"] as? Int == 200)
            #expect(answer["isBase64Encoded"] as? Bool == false)
            #expect((answer["body"] as? String)?.contains("\"status\" : \"ok\"") == true)
            #expect((answer["headers"] as? [String: String])?["content-type"]?.hasPrefix("application/json") == true)
            let queueAnswer = try #require(
                try JSONSerialization.jsonObject(with: Data(posts[1].body.utf8)) as? [String: Any]
            )
            #expect(queueAnswer["statusCode"] as? Int == 200)
            #expect((queueAnswer["body"] as? String)?.contains("\"depth\" : 0") == true)
            #expect(posts[2].body == #"{"batchItemFailures":[{"itemIdentifier":"m1"}]}"#)
            #expect(posts[3].body.contains("API Gateway HTTP API"))
            #expect(posts[3].body.contains("aws:sqs"))
        }
    }
}
