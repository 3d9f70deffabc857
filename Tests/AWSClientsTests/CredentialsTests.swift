// The scripted server takes its behaviour as a closure before the test body's trailing closure.
// swift-format-ignore-file: OnlyOneTrailingClosureArgument

import AWSClients
import AWSSigV4
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import TestSupport
import Testing

@testable import AWSClients

/// Credentials from the container endpoint (a real HTTP server on 127.0.0.1), refresh before expiry,
/// one shared refresh for concurrent callers, and the environment rules.
struct CredentialsTests {
    static func credentialsJSON(key: String, expiration: String) -> ByteBuffer {
        ByteBuffer(
            string:
                #"{"AccessKeyId":"\#(key)","SecretAccessKey":"s3cr3t","Token":"tok-\#(key)","Expiration":"\#(expiration)"}"#
        )
    }

    @Test func fetchesFromTheFullURIWithTheTokenFromTheFile() async throws {
        try await withTemporaryDirectory { directory in
            let tokenFile = directory.appendingPathComponent("token")
            try "file-token\n".write(to: tokenFile, atomically: true, encoding: .utf8)
            try await FaultServer.withServer({ _, _ in
                .respond(.ok, body: Self.credentialsJSON(key: "ASIA1", expiration: "2026-11-29T12:00:00Z"))
            }) { server in
                let endpoint = try #require(
                    try ContainerCredentialsEndpoint.fromEnvironment([
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "\(server.endpoint)/v1/credentials?x=1",
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored-when-a-file-is-set",
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile.path,
                    ])
                )
                let credentials = try await withAWSHTTPClient { http in
                    try await ContainerCredentialsFetcher(endpoint: endpoint, httpClient: http).fetch(
                        logger: quietLogger
                    )
                }
                #expect(credentials.accessKeyID == "ASIA1")
                #expect(credentials.secretAccessKey == "s3cr3t")
                #expect(credentials.sessionToken == "tok-ASIA1")
                #expect(credentials.expiration == Date(timeIntervalSince1970: 1_795_953_600))
                let request = try #require(server.requests.first)
                #expect(request.uri == "/v1/credentials?x=1")
                #expect(request.header("authorization") == "file-token")
            }
        }
    }

    @Test func aFailingEndpointIsACredentialsError() async throws {
        try await FaultServer.withServer({ _, _ in
            .respond(.forbidden, body: ByteBuffer(string: #"{"code":"AccessDenied"}"#))
        }) { server in
            let endpoint = ContainerCredentialsEndpoint(url: "\(server.endpoint)/creds", authorization: .token("t"))
            let error = await #expect(throws: AWSClientError.self) {
                try await withAWSHTTPClient { http in
                    try await ContainerCredentialsFetcher(endpoint: endpoint, httpClient: http).fetch(
                        logger: quietLogger
                    )
                }
            }
            #expect(error?.code == .credentials)
            #expect(server.requests.count == 1)  // 403 is not retried
        }
    }

    @Test func refreshesBeforeExpiryAndSharesOneRefresh() async throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_000_000))
        let fetches = Mutex(0)
        let provider = RefreshingCredentialProvider(refreshMargin: .seconds(300), now: { clock.withLock { $0 } }) { _ in
            let number = fetches.withLock { count -> Int in
                count += 1
                return count
            }
            // Slow enough that concurrent callers overlap.
            try await Task.sleep(for: .milliseconds(200))
            return AWSCredentials(
                accessKeyID: "KEY\(number)",
                secretAccessKey: "s",
                sessionToken: "t",
                expiration: clock.withLock { $0 }.addingTimeInterval(900)
            )
        }
        let first = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await provider.credentials(logger: quietLogger).accessKeyID } }
            return try await Set(group.reduce(into: []) { $0.append($1) })
        }
        #expect(first == ["KEY1"])
        #expect(fetches.withLock { $0 } == 1)

        // 9 minutes later the credentials still have 6 minutes: cached.
        clock.withLock { $0 = $0.addingTimeInterval(540) }
        #expect(try await provider.credentials(logger: quietLogger).accessKeyID == "KEY1")
        // 11 minutes: within the 5-minute margin, refreshed.
        clock.withLock { $0 = $0.addingTimeInterval(120) }
        #expect(try await provider.credentials(logger: quietLogger).accessKeyID == "KEY2")
        #expect(fetches.withLock { $0 } == 2)
    }

    @Test func aFailedRefreshKeepsCredentialsThatAreStillValid() async throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_000_000))
        let fail = Mutex(false)
        let provider = RefreshingCredentialProvider(now: { clock.withLock { $0 } }) { _ in
            if fail.withLock({ $0 }) { throw AWSClientError(.credentials, "endpoint down") }
            return AWSCredentials(
                accessKeyID: "KEY",
                secretAccessKey: "s",
                expiration: clock.withLock { $0 }.addingTimeInterval(600)
            )
        }
        _ = try await provider.credentials(logger: quietLogger)
        fail.withLock { $0 = true }
        clock.withLock { $0 = $0.addingTimeInterval(400) }  // inside the margin, not expired
        #expect(try await provider.credentials(logger: quietLogger).accessKeyID == "KEY")
        clock.withLock { $0 = $0.addingTimeInterval(300) }  // expired
        await #expect(throws: AWSClientError.self) { try await provider.credentials(logger: quietLogger) }
    }

    @Test func relativeURIGoesToTheECSAgent() throws {
        let endpoint = try ContainerCredentialsEndpoint.fromEnvironment([
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "tok",
        ])
        #expect(
            endpoint
                == ContainerCredentialsEndpoint(
                    url: "http://169.254.170.2/v2/credentials/abc",
                    authorization: .token("tok")
                )
        )
        #expect(try ContainerCredentialsEndpoint.fromEnvironment([:]) == nil)
    }

    @Test(arguments: [
        ("http://169.254.170.23/v1/credentials", true),
        ("http://127.0.0.1:8080/creds", true),
        ("http://localhost/creds", true),
        ("http://[::1]:80/creds", true),
        ("http://[fd00:ec2::23]/creds", true),
        ("https://creds.example.com/x", true),
        ("http://creds.example.com/x", false),
        ("http://10.0.0.1/x", false),
        ("not a url", false),
    ])
    func fullURIMustNotSendCredentialsInClearTextAcrossTheNetwork(url: String, allowed: Bool) {
        let result = Result {
            try ContainerCredentialsEndpoint.fromEnvironment(["AWS_CONTAINER_CREDENTIALS_FULL_URI": url])
        }
        if allowed {
            #expect((try? result.get())??.url == url)
        } else {
            #expect(throws: AWSClientError.self) { try result.get() }
        }
    }
}
