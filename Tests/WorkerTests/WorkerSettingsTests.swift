import CompressionJob
import Foundation
import TestSupport
import Testing

@testable import Worker

@Suite struct WorkerSettingsTests {
    @Test func defaultsAndOverrides() throws {
        #expect(try WorkerConfiguration(environment: [:]).runtime == WorkerConfiguration.RuntimeSettings())
        let settings = try WorkerConfiguration(environment: [
            "WORKER_VISIBILITY_TIMEOUT_SECONDS": "30", "WORKER_SHUTDOWN_GRACE_SECONDS": " 5 ",
            "WORKER_RETRY_DELAY_SECONDS": "0", "WORKER_DEADLINE_MARGIN_SECONDS": "3", "WORKER_MIN_JOB_SECONDS": "",
        ]).runtime
        #expect(settings.visibilityTimeoutSeconds == 30)
        #expect(settings.shutdownGraceSeconds == 5)
        #expect(settings.retryDelaySeconds == 0)
        #expect(settings.deadlineMarginSeconds == 3)
        #expect(settings.minimumJobSeconds == 10)
        let options = SQSPoller<ScriptedHandler>.Options(queueURL: "q", settings: settings)
        #expect(options.shutdownGrace == .seconds(5))
        #expect(options.heartbeatInterval == .seconds(15))
    }

    @Test(arguments: [
        ("WORKER_VISIBILITY_TIMEOUT_SECONDS", "1"), ("WORKER_SHUTDOWN_GRACE_SECONDS", "-1"),
        ("WORKER_RETRY_DELAY_SECONDS", "ten"), ("WORKER_DEADLINE_MARGIN_SECONDS", "1e3"),
        ("WORKER_MIN_JOB_SECONDS", "99999999999999999999"),
    ])
    func aBadValueIsAnErrorNamingTheVariable(key: String, value: String) {
        let error = #expect(throws: WorkerConfigurationError.self) {
            try WorkerConfiguration(environment: [key: value])
        }
        #expect(error?.variable == key)
        #expect(error?.description.contains(key) == true)
    }
}

/// `dicom-j2k lambda` as a process under the scripted Runtime API, without AWS: a bad
/// configuration is the function's init error.
@Suite struct LambdaCommandTests {
    @Test(.needs(.dicomJ2KExecutable)) func aBadConfigurationIsPostedAsTheInitError() async throws {
        let tool = try TestEnvironment.dicomJ2KExecutable()
        try await ScriptedRuntimeAPI.withServer(script: []) { server in
            let run = try runProcess(
                tool,
                ["lambda"],
                environment: [
                    "AWS_LAMBDA_RUNTIME_API": server.hostAndPort, "AWS_ACCESS_KEY_ID": "test",
                    "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1", "WORKER_SHUTDOWN_GRACE_SECONDS": "soon",
                ]
            )
            #expect(run.status != 0)
            let posts = server.posts
            #expect(posts.map(\.path) == ["/init/error"])
            #expect(posts.first?.body.contains("WORKER_SHUTDOWN_GRACE_SECONDS") == true)
            #expect(server.nextRequests == 0)
        }
    }
}
