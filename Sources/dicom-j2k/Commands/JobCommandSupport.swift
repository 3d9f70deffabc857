import AWSClients
import ArgumentParser
import CompressionJob
import Foundation
import Logging

/// What `enqueue`, `status`, `results` and `queue` share: the worker configuration from the
/// environment (with the AWS overrides), and where the results are.
struct JobCommandOptions: ParsableArguments {
    @Option(
        name: .customLong("results"),
        help: "Where the result documents are, s3://bucket/prefix/ (default: RESULTS_URI)."
    )
    var resultsURI: String?

    @OptionGroup var aws: AWSCommandOptions

    func workerConfiguration() throws -> WorkerConfiguration {
        do {
            return try WorkerConfiguration(environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// `--results`, else `RESULTS_URI`, else `fallbackTarget`'s `results/`.
    func resultsPrefix(_ configuration: WorkerConfiguration, fallbackTarget: S3URI? = nil) throws -> S3URI {
        if let resultsURI {
            guard let uri = S3URI(resultsURI) else { throw ValidationError("--results must be s3://bucket/prefix/") }
            return uri.key.isEmpty || uri.key.hasSuffix("/") ? uri : S3URI(bucket: uri.bucket, key: uri.key + "/")
        }
        guard let prefix = configuration.resultsLocation(forTarget: fallbackTarget ?? configuration.defaultTargetURI)
        else {
            throw ValidationError("set --results, RESULTS_URI or DEFAULT_TARGET_URI")
        }
        return prefix
    }

    /// Runs `body` with S3 and SQS clients on one HTTP client.
    func withClients<T>(_ body: (S3Client, SQSClient, Logger) async throws -> T) async throws -> T {
        let configuration = try aws.configuration()
        let logger = aws.logger
        return try await withAWSHTTPClient { http in
            let credentials = configuration.makeCredentialProvider(httpClient: http)
            return try await body(
                S3Client(configuration: configuration, httpClient: http, credentialProvider: credentials),
                SQSClient(configuration: configuration, httpClient: http, credentialProvider: credentials),
                logger
            )
        }
    }
}

/// Prints `value` as pretty JSON on stdout.
func printJSON(_ value: some Encodable) throws {
    let data = try JobResult.makeEncoder().encode(value)
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}
